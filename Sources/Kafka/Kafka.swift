/// Swift wrapper of librdkafka: consumer group, producer, admin and the mock cluster.
