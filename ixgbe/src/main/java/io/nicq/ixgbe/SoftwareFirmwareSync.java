package io.nicq.ixgbe;

import java.util.concurrent.locks.LockSupport;

import static io.nicq.ixgbe.Registers.*;

/**
 * The 82599's semaphore between software and the manageability firmware (datasheet 10.5.4), the one DPDK's and
 * Linux's ixgbe_acquire_swfw_sync take around AUTOC: first SWSM.SMBI (between drivers: a read sets it, so the reader
 * that saw it clear owns it), then SWSM.SWESMBI (software against firmware: written 1, owned if it reads back 1), and
 * under both the resource's bit in SW_FW_SYNC if neither software nor firmware holds it; then SWSM is given back, and
 * the SW_FW_SYNC bit is the lock until {@link #release}.
 * <p>
 * The waits are the references': SMBI and SWESMBI polled 2000 times 50 us apart, the resource tried 200 times 5 ms
 * apart. An SMBI still set after its wait is taken to be a driver's that died holding it (DPDK clears it and tries
 * once more); a resource never free is a named error.
 */
public final class SoftwareFirmwareSync
{
    /** SWSM polls (DPDK's timeout of 2000) and the pause between them. */
    private static final int SEMAPHORE_POLLS = 2000;
    private static final long SEMAPHORE_POLL_NS = 50_000;
    /** Tries for the SW_FW_SYNC bit and the pause between them: 200 x 5 ms, a second. */
    private static final int RESOURCE_TRIES = 200;
    private static final long RESOURCE_RETRY_NS = 5_000_000;

    private final Bar bar;

    public SoftwareFirmwareSync(final Bar bar)
    {
        this.bar = bar;
    }

    /**
     * Takes a software resource bit of SW_FW_SYNC (e.g. {@link Registers#SW_FW_SYNC_SW_MAC_CSR}).
     *
     * @throws DeviceTimeoutException when SWSM or the resource could not be had, naming which
     */
    public void acquire(final int softwareBit)
    {
        final int held = softwareBit | softwareBit << SW_FW_SYNC_FIRMWARE_SHIFT;
        int sync = 0;
        for (int attempt = 0; attempt < RESOURCE_TRIES; attempt++)
        {
            takeSwsm();
            sync = bar.read(SW_FW_SYNC);
            if ((sync & held) == 0)
            {
                bar.write(SW_FW_SYNC, sync | softwareBit);          // 10.5.4 SW_FW_SYNC: the resource is ours
                giveSwsm();
                return;
            }
            giveSwsm();
            LockSupport.parkNanos(RESOURCE_RETRY_NS);
        }
        throw new DeviceTimeoutException(bar.description() + String.format(": software/firmware semaphore bit " +
            "0x%X not free within 1 s (SW_FW_SYNC reads 0x%08X: %s holds it)", softwareBit, sync,
            (sync & softwareBit) != 0 ? "another driver" : "the manageability firmware"));
    }

    /** Gives back a resource bit taken with {@link #acquire}. */
    public void release(final int softwareBit)
    {
        takeSwsm();
        bar.write(SW_FW_SYNC, bar.read(SW_FW_SYNC) & ~softwareBit); // 10.5.4 SW_FW_SYNC: the resource is free
        giveSwsm();
    }

    /** SMBI, then SWESMBI (10.5.4). */
    private void takeSwsm()
    {
        if (!smbiTaken())
        {
            // A driver that died holding SMBI never clears it: clear it (10.5.4 SWSM) and try once more, as DPDK does.
            giveSwsm();
            if (!smbiTaken())
            {
                throw semaphoreTimeout("SWSM.SMBI");
            }
        }
        for (int poll = 0; poll < SEMAPHORE_POLLS; poll++)
        {
            bar.write(SWSM, bar.read(SWSM) | SWSM_SWESMBI);        // 10.5.4 SWSM.SWESMBI: ask firmware for it
            if ((bar.read(SWSM) & SWSM_SWESMBI) != 0)
            {
                return;
            }
            LockSupport.parkNanos(SEMAPHORE_POLL_NS);
        }
        giveSwsm();
        throw semaphoreTimeout("SWSM.SWESMBI");
    }

    /** Whether a read of SWSM found SMBI clear (the read itself set it: it is ours). */
    private boolean smbiTaken()
    {
        for (int poll = 0; poll < SEMAPHORE_POLLS; poll++)
        {
            if ((bar.read(SWSM) & SWSM_SMBI) == 0)
            {
                return true;
            }
            LockSupport.parkNanos(SEMAPHORE_POLL_NS);
        }
        return false;
    }

    private void giveSwsm()
    {
        bar.write(SWSM, bar.read(SWSM) & ~(SWSM_SMBI | SWSM_SWESMBI)); // 10.5.4 SWSM: SWESMBI and SMBI given back
    }

    private DeviceTimeoutException semaphoreTimeout(final String field)
    {
        // No read of SWSM for the message: a read sets SMBI, which would hold the semaphore for nobody.
        return new DeviceTimeoutException(bar.description() + ": software semaphore not acquired within 100 ms (" +
            field + " never came)");
    }
}
