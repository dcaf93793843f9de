/**
 * The queue driver: one hardware RX/TX queue pair of the 82599 serviced for one application through the zero-copy
 * queue channel ({@link io.nicq.proto.channel.QueueChannel}). {@link io.nicq.queue.QueueDriver} is the poll loop (an
 * Agrona agent configured by {@link io.nicq.queue.QueueDriver.Context}); {@link io.nicq.queue.QueueAttacher} is how
 * it registers its rings with the card driver; {@link io.nicq.queue.QueueDriverCommand} runs it as a process.
 */
package io.nicq.queue;
