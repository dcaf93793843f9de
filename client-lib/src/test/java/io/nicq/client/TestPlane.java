package io.nicq.client;

import io.nicq.packet.Ipv4Address;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** A control plane without a card driver: fixed addresses, a neighbour table, filters that only record. */
final class TestPlane implements ControlPlane
{
    static final long MAC = 0x020000000001L;
    static final int IPV4 = Ipv4Address.parse("10.0.0.1");
    static final int GATEWAY = Ipv4Address.parse("10.0.0.254");
    static final long PEER_MAC = 0x020000000002L;
    static final int PEER_IP = Ipv4Address.parse("10.0.0.2");
    static final long GATEWAY_MAC = 0x0200000000FEL;

    final Map<Integer, Long> neighbours = new HashMap<>();
    final Set<Integer> portsInUse = new HashSet<>();
    int ipv4 = IPV4;
    int prefixLength = 24;
    int gateway = GATEWAY;
    int mtu = 1500;
    int resolutions;
    int nextFilterId = 1;

    TestPlane()
    {
        neighbours.put(PEER_IP, PEER_MAC);
        neighbours.put(GATEWAY, GATEWAY_MAC);
    }

    public long mac()
    {
        return MAC;
    }

    public int ipv4()
    {
        return ipv4;
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    public int gateway()
    {
        return gateway;
    }

    public int mtu()
    {
        return mtu;
    }

    public long resolveNeighbour(final int ipv4)
    {
        resolutions++;
        final Long mac = neighbours.get(ipv4);
        if (mac == null)
        {
            throw new NicException(NicException.Reason.NEIGHBOUR_TIMEOUT,
                "no ARP reply from " + Ipv4Address.toString(ipv4));
        }
        return mac;
    }

    public Filter registerUdpPort(final NicQueue queue, final int port)
    {
        if (!portsInUse.add(port))
        {
            throw new NicException(NicException.Reason.PORT_IN_USE, "UDP port " + port + " is taken");
        }
        return new Filter(nextFilterId++, queue.queueId(), Filter.Kind.UDP_PORT, Filter.Placement.FIVE_TUPLE, 0, port,
            0, 0);
    }

    @Override
    public Filter registerTcpPort(final NicQueue queue, final int port)
    {
        if (!portsInUse.add(port))
        {
            throw new NicException(NicException.Reason.PORT_IN_USE, "TCP port " + port + " is taken");
        }
        return new Filter(nextFilterId++, queue.queueId(), Filter.Kind.TCP_PORT, Filter.Placement.FIVE_TUPLE, 0, port,
            0, 0);
    }

    @Override
    public Filter registerTcpConnection(final NicQueue queue, final int localPort, final int remoteIp,
        final int remotePort)
    {
        int port = localPort;
        for (int candidate = 49152; port == 0 && candidate < 65536; candidate++)
        {
            if (!portsInUse.contains(candidate))
            {
                port = candidate;
            }
        }
        if (!portsInUse.add(port))
        {
            throw new NicException(NicException.Reason.PORT_IN_USE, "TCP port " + port + " is taken");
        }
        return new Filter(nextFilterId++, queue.queueId(), Filter.Kind.TCP_CONNECTION, Filter.Placement.FIVE_TUPLE, 1,
            port, remoteIp, remotePort);
    }

    public void deregister(final Filter filter)
    {
        portsInUse.remove(filter.localPort());
        filter.markDeregistered();
    }

    public void releaseQueue(final NicQueue queue)
    {
        queue.closeLocally();
    }
}
