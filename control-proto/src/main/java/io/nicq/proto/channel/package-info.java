/**
 * The shared-memory queue channel between a queue driver and its application: {@link
 * io.nicq.proto.channel.QueueChannel} (the file, its layout and the slot ownership protocol), {@link
 * io.nicq.proto.channel.IndexRing} (the four single-producer single-consumer rings of slot indices), {@link
 * io.nicq.proto.channel.SlotMetadata} (length, flags and phase timestamps of each slot) and {@link
 * io.nicq.proto.channel.QueueChannelHeader} (identity, liveness, state and the queue driver's counters). The queue
 * driver and client-lib use the same classes.
 */
package io.nicq.proto.channel;
