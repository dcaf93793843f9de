/**
 * The Intel 82599 described once, for the drivers and the simulated card alike: the register map ({@link
 * io.nicq.ixgbe.Registers}, {@link io.nicq.ixgbe.RegisterFile}), descriptor flyweights, BAR access ({@link
 * io.nicq.ixgbe.Bar}) and DMA memory ({@link io.nicq.ixgbe.DmaAllocator}).
 * <p>
 * Cards are opened by spec with {@link io.nicq.ixgbe.Nic#open(String)}: {@code sim:NAME} gives a {@link
 * io.nicq.ixgbe.SimulatedNic} ({@link io.nicq.ixgbe.SimulatedBar} over the card's {@code bar0}, {@link
 * io.nicq.ixgbe.SimulatedDmaAllocator} over its {@link io.nicq.ixgbe.IommuTable}); {@code pci:ADDRESS} a {@link
 * io.nicq.ixgbe.PciNic} (sysfs {@code resource0} and {@link io.nicq.ixgbe.HugepageDmaAllocator}); {@code vfio:ADDRESS}
 * a {@link io.nicq.ixgbe.vfio.VfioNic} (VFIO: IOMMU-mapped DMA, {@link io.nicq.ixgbe.VfioDmaAllocator}). Host set-up
 * (finding, binding and checking ports) is in {@code io.nicq.ixgbe.host}.
 * <p>
 * Descriptor rings and registers are accessed with aligned 32/64-bit volatile or acquire/release operations: rings must
 * be native memory aligned to 16 bytes (any DMA memory is).
 */
package io.nicq.ixgbe;
