package io.nicq.card;

import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Filters matched in software by the default queue (placement SOFTWARE): what the hardware had no room for. A frame
 * that reached queue 0 unclaimed is looked up by its protocol, destination port and source; a match is copied to the
 * owner's queue ({@link DefaultQueueService}). Port filters are keyed by (protocol, local port), connection filters by
 * (local port, remote port, remote address); of a port filter and a connection filter that both match, the one that
 * {@link FilterManager#precedes precedes} wins, as FTQF.PRIORITY decides between 5-tuple filters. Lookups allocate
 * nothing (primitive keys).
 */
final class SoftwareFilters
{
    /** Default limit on software filters: what the default queue is asked to match. */
    static final int DEFAULT_LIMIT = 16384;
    /** Most a card driver may be configured with (the free count travels as a uint16). */
    static final int MAX_LIMIT = 65535 - 8192 - 128;

    private final int limit;
    private final Int2ObjectHashMap<FilterRegistration> ports = new Int2ObjectHashMap<>();
    private final Long2ObjectHashMap<FilterRegistration> connections = new Long2ObjectHashMap<>();

    SoftwareFilters(final int limit)
    {
        this.limit = limit;
    }

    /** Places a filter in software; false when the limit is reached. */
    boolean add(final FilterRegistration filter)
    {
        if (size() >= limit)
        {
            return false;
        }
        if (filter.kind() == FilterKind.TCP_CONNECTION)
        {
            connections.put(connectionKey(filter.localPort(), filter.remoteIp(), filter.remotePort()), filter);
        }
        else
        {
            ports.put(portKey(filter.ipProtocol(), filter.localPort()), filter);
        }
        filter.place(FilterPlacement.SOFTWARE, -1);
        return true;
    }

    void remove(final FilterRegistration filter)
    {
        if (filter.kind() == FilterKind.TCP_CONNECTION)
        {
            connections.remove(connectionKey(filter.localPort(), filter.remoteIp(), filter.remotePort()));
        }
        else
        {
            ports.remove(portKey(filter.ipProtocol(), filter.localPort()));
        }
    }

    /**
     * The filter a frame to the card's address matches, or null.
     *
     * @param remoteIp host order
     */
    FilterRegistration match(final int ipProtocol, final int localPort, final int remoteIp, final int remotePort)
    {
        final FilterRegistration port = ports.isEmpty() ? null : ports.get(portKey(ipProtocol, localPort));
        final FilterRegistration connection = ipProtocol != FilterRegistration.IP_PROTOCOL_TCP || connections.isEmpty() ?
            null : connections.get(connectionKey(localPort, remoteIp, remotePort));
        if (connection == null)
        {
            return port;
        }
        return port != null && FilterManager.precedes(port, connection) ? port : connection;
    }

    int size()
    {
        return ports.size() + connections.size();
    }

    int free()
    {
        return limit - size();
    }

    int limit()
    {
        return limit;
    }

    private static int portKey(final int ipProtocol, final int localPort)
    {
        return ipProtocol << 16 | localPort;
    }

    private static long connectionKey(final int localPort, final int remoteIp, final int remotePort)
    {
        return (long)localPort << 48 | (long)remotePort << 32 | (remoteIp & 0xFFFF_FFFFL);
    }
}
