/**
 * The shared-memory queue channel between a queue driver and its application: {@link
 * io.nicq.proto.channel.QueueChannel} (the file, its layout and the slot ownership protocol), {@link
 * io.nicq.proto.channel.IndexRing} (the four single-producer single-consumer rings of slot indices), {@link
 * io.nicq.proto.channel.SlotMetadata} (length, flags and phase timestamps of each slot) and {@link
 * io.nicq.proto.channel.QueueChannelHeader} (identity, liveness, state and the queue driver's counters), and
 * {@link io.nicq.proto.channel.ChannelEndpoint}: the client's end of the protocol with its own table of slot owners,
 * which client-lib's queues and the card driver's default queue both use. The queue driver is the other end.
 */
package io.nicq.proto.channel;
