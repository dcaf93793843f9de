/**
 * The simulated Intel 82599: {@link io.nicq.sim.SimulatedCard} (embeddable, configured by its {@link
 * io.nicq.sim.SimulatedCard.Context}) and {@link io.nicq.sim.SimCommand} ({@code nicq sim}). The device loop ({@code
 * SimulatedDevice}) models the register side effects, the TX and RX DMA engines, the receive filters ({@code
 * Classifier}) and the statistics; every DMA goes through the card's IOMMU table. The port is plugged into a {@link
 * io.nicq.sim.Wire}: nothing, an in-JVM {@link io.nicq.sim.MemoryWire}, a {@link io.nicq.sim.CableWire} to another
 * simulated card or a {@link io.nicq.sim.TapWire} to the Linux kernel, optionally captured to pcap and paced to a line
 * rate. See the module's README for what is and is not modelled.
 */
package io.nicq.sim;
