package io.nicq.card;

import java.nio.file.Path;

import io.nicq.proto.sbe.QueueMode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The queue table's state machine: free, granted, attached, revoked, and the transitions that are refused. */
class QueueEntryTest
{
    private static final long CLIENT = 42;

    @Test
    void aQueueGoesFromFreeThroughGrantedAndAttachedToRevokedAndBack()
    {
        final QueueEntry entry = new QueueEntry(3);
        assertEquals(QueueEntry.State.FREE, entry.state());
        assertFalse(entry.isOwnedBy(CLIENT));

        grant(entry);
        assertEquals(QueueEntry.State.GRANTED, entry.state());
        assertTrue(entry.isOwnedBy(CLIENT));
        entry.driverStarted(7, 1234);
        assertEquals(7, entry.driverId());

        entry.attach(64, 1234);
        assertEquals(QueueEntry.State.ATTACHED, entry.state());
        assertTrue(entry.isHardwareEnabled());
        entry.hardwareDisabled();
        entry.detach();
        assertEquals(QueueEntry.State.GRANTED, entry.state());
        assertTrue(entry.hasDriverDetached(), "its exit is then no failure");

        entry.revoke(99);
        assertEquals(QueueEntry.State.REVOKED, entry.state());
        assertFalse(entry.isOwnedBy(CLIENT), "a revoked queue is nobody's to use");
        assertEquals(99, entry.deadlineNs());
        entry.free();
        assertEquals(QueueEntry.State.FREE, entry.state());
        assertEquals(QueueEntry.NO_DRIVER, entry.driverId());
        assertFalse(entry.hasDriverDetached());
    }

    @Test
    void transitionsFromTheWrongStateAreRefused()
    {
        final QueueEntry entry = new QueueEntry(4);
        assertThrows(IllegalStateException.class, () -> entry.attach(64, 1));
        assertThrows(IllegalStateException.class, () -> entry.revoke(1));
        assertThrows(IllegalStateException.class, () -> entry.driverStarted(1, 1));
        grant(entry);
        assertThrows(IllegalStateException.class, () -> grant(entry), "granted twice");
        assertThrows(IllegalStateException.class, entry::detach, "nothing attached");
        entry.revoke(1);
        assertThrows(IllegalStateException.class, () -> entry.attach(64, 1), "a revoked queue cannot be attached");
        assertThrows(IllegalStateException.class, () -> entry.revoke(2), "revoked twice");
    }

    @Test
    void queueZerosDriverGoingAwayLeavesItGranted()
    {
        final QueueEntry entry = new QueueEntry(0);
        entry.grant(QueueEntry.CARD_DRIVER_OWNER, QueueMode.THREAD, 64, 128, Path.of("q0"), null, 1, 0);
        entry.attach(64, 1);
        entry.driverStarted(1, 1);
        entry.hardwareDisabled();
        entry.driverGone();
        assertEquals(QueueEntry.State.GRANTED, entry.state());
        assertEquals(QueueEntry.NO_DRIVER, entry.driverId());
    }

    private static void grant(final QueueEntry entry)
    {
        entry.grant(CLIENT, QueueMode.PROCESS, 64, 128, Path.of("q"), null, 0x5EED, 0);
    }
}
