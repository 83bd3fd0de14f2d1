// Tests for Kafka are added with the module's code.
