package io.nicq.card;

/**
 * What the flow director's global masks compare (FDIRM, FDIRSIP4M, FDIRTCPM and friends apply to every filter, so a
 * table holds one kind): the card driver sets them once at start-up.
 */
public enum FlowDirectorMatch
{
    /** Protocol, both addresses and both ports: TCP connection filters. The default: a TCP server's connections. */
    CONNECTIONS,
    /** Protocol, destination address and port, the source masked: UDP and TCP port filters. Many UDP services. */
    PORTS
}
