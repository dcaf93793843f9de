package io.nicq.card;

import io.nicq.proto.sbe.QueueMode;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import static io.nicq.ixgbe.Registers.QUEUE_COUNT;

/**
 * The instance's other processes in the counters file: one counter of type {@link CardCounters#TYPE_PROCESS} per
 * connected client and per queue driver process, its value the pid and its label what the process is. With the card
 * driver's own pid (the counters file's header) that is every nicq process of the instance, which is how
 * {@code nicq stat} finds the threads it measures. Conductor thread only.
 */
final class ProcessCounters
{
    /** Room for the queue driver processes and this many clients; beyond it clients are not listed. */
    static final int MAX_CLIENTS = 256;
    static final int MAX_COUNTERS = QUEUE_COUNT + MAX_CLIENTS;

    private final CountersManager manager;
    private final Long2ObjectHashMap<AtomicCounter> clients = new Long2ObjectHashMap<>();
    private final AtomicCounter[] queueDrivers = new AtomicCounter[QUEUE_COUNT];

    ProcessCounters(final CountersManager manager)
    {
        this.manager = manager;
    }

    /** A client connected: "pid of client 4 (udp-echo)". */
    void clientConnected(final ClientSession session)
    {
        if (clients.size() < MAX_CLIENTS && !clients.containsKey(session.clientId()))
        {
            final AtomicCounter counter = manager.newCounter("pid of client " + session.clientId() + " (" +
                (session.name().isEmpty() ? "unnamed" : session.name()) + ")", CardCounters.TYPE_PROCESS);
            counter.setRelease(session.pid());
            clients.put(session.clientId(), counter);
        }
    }

    void clientGone(final long clientId)
    {
        final AtomicCounter counter = clients.remove(clientId);
        if (counter != null)
        {
            counter.close();
        }
    }

    /** Brings the queue driver processes' counters in line with the table: "pid of queue 3's driver (process)". */
    void queueDrivers(final QueueTable queues)
    {
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues.entry(q);
            final long pid = entry.state() != QueueEntry.State.FREE && entry.mode() == QueueMode.PROCESS ?
                entry.driverPid() : 0;
            AtomicCounter counter = queueDrivers[q];
            if (counter != null && counter.get() != pid)
            {
                counter.close();
                counter = queueDrivers[q] = null;
            }
            if (counter == null && pid > 0)
            {
                counter = manager.newCounter("pid of queue " + q + "'s driver (process)", CardCounters.TYPE_PROCESS);
                counter.setRelease(pid);
                queueDrivers[q] = counter;
            }
        }
    }
}
