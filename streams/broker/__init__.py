"""Kafka: the worker's own batch consumer, its publisher, reading back its output, topics.

Public names: :class:`~streams.broker.base.Publisher`, :class:`~streams.broker.base.OutputLog`,
:class:`~streams.broker.base.Topics` (the protocols and values the tracker needs), and the
implementations :class:`~streams.broker.consumer.BatchConsumer`,
:class:`~streams.broker.publisher.FaustPublisher`, :class:`~streams.broker.output_log.KafkaOutputLog`.
"""
