/// Real servers for integration tests: a private redis-server and the embedded Kafka broker.
