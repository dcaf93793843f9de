/**
 * A device stub for measuring and testing the queue driver alone: {@link io.nicq.queue.stub.ImmediateDevice}, a
 * {@link io.nicq.ixgbe.Bar} that completes every descriptor the moment its tail is written, and
 * {@link io.nicq.queue.stub.IdentityDmaAllocator}, DMA memory whose IOVA is its virtual address. The JMH benchmarks
 * ({@code nicq bench}) and the queue driver's tests use them; nothing in production does.
 */
package io.nicq.queue.stub;
