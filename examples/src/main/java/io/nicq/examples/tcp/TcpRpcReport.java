package io.nicq.examples.tcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.WarmUp;

/**
 * Builds the per-phase report of a TCP RPC run: the UDP report's chain, with the two phases that hold the TCP stack's
 * own time each split in two (the stack's part and the ring's), and the server's phases (and the wires', which need the server's card clock) left out when
 * the server sent none back, saying so.
 */
public final class TcpRpcReport
{
    /** The TX phase from the application's write to the segment handed to the queue: the TCP stack's send. */
    public static final String CLIENT_TX_TCP = "client TX: app write -> segment (TCP stack)";
    /** Then the segment to the client TX ring. */
    public static final String CLIENT_TX_RING = "client TX: segment -> client ring";
    /** The RX phase from the client ring to the client taking the segment off it. */
    public static final String CLIENT_RX_APP = "client RX: client ring -> app";
    /** Then the segment to its bytes read by the application: the TCP stack's receive. */
    public static final String CLIENT_RX_TCP = "client RX: app -> bytes read (TCP stack)";
    /** Said in the report when the server's phases are missing. */
    public static final String SERVER_PHASES_MISSING = "server phases: missing";

    private static final int FIRST_CLIENT_RX = 14;

    private TcpRpcReport()
    {
    }

    /**
     * The report without a kernel baseline.
     *
     * @param how        one line on how nicq was arranged (modes, threads, CPUs)
     * @param warmUp     how the warm-up went, null when not told
     * @param conditions the stalls and hiccups of the measured window, null when not watched
     */
    public static LatencyReport build(final TcpRpcClient client, final String label, final String server,
        final String mode, final String how, final WarmUp warmUp, final StallWatch conditions)
    {
        return build(client, label, server, mode, null, how, warmUp, conditions);
    }

    /**
     * @param kernel     the kernel's TCP baseline of the same run, null when it was not measured
     * @param how        one line on how nicq was arranged (modes, threads, CPUs)
     * @param warmUp     how the warm-up went, null when not told
     * @param conditions the stalls and hiccups of the measured window, null when not watched
     */
    public static LatencyReport build(final TcpRpcClient client, final String label, final String server,
        final String mode, final KernelBaseline.Result kernel, final String how, final WarmUp warmUp,
        final StallWatch conditions)
    {
        final RoundTripRecorder recorder = client.recorder();
        // A server's phases arrive in its answers' payloads: server RX's first phase has values only if it sent them.
        final boolean serverPhases = recorder.segment(5).getTotalCount() > 0;
        final List<LatencyReport.Phase> phases = new ArrayList<>();
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            if (!serverPhases && i >= 4 && i < FIRST_CLIENT_RX)
            {
                continue;
            }
            // The chain's first and last phases hold the TCP stack's time: each is split in two where the slot's
            // timestamps allow (the application's send on the slot, the application taking the slot).
            if (i == 0)
            {
                phases.add(new LatencyReport.Phase(CLIENT_TX_TCP, client.txStack()));
                phases.add(new LatencyReport.Phase(CLIENT_TX_RING, client.txToRing()));
            }
            else if (i == RoundTripRecorder.SEGMENTS.length - 1)
            {
                phases.add(new LatencyReport.Phase(CLIENT_RX_APP, client.rxToApp()));
                phases.add(new LatencyReport.Phase(CLIENT_RX_TCP, client.rxStack()));
            }
            else
            {
                phases.add(new LatencyReport.Phase(RoundTripRecorder.SEGMENTS[i], recorder.segment(i)));
            }
        }
        final long roundTrips = Math.max(1, client.roundTrips());
        final LatencyReport report = new LatencyReport(String.format(Locale.ROOT,
            "TCP RPC round trip: %d-byte messages on one connection to %s, %d round trips, %s mode", client.size(),
            server, recorder.roundTrips(), mode), new LatencyReport.Run(label, recorder.roundTrip(), phases),
            kernel == null ? null : new LatencyReport.Run(kernel.label(), kernel.roundTrip(), List.of()));
        report.note(kernel == null ? "kernel baseline: not measured" : "kernel baseline: " + kernel.server() + ", " +
            kernel.label() + ", same message size and count, measured first" +
            (kernel.lost() > 0 ? ", " + kernel.lost() + " answers not the request's" : ""));
        if (kernel != null && kernel.warmUp() != null)
        {
            report.note("kernel " + kernel.warmUp().describe());
        }
        report.note(serverPhases ? "server phases: from the server's timestamps in the answers" :
            SERVER_PHASES_MISSING + ": the server sent no timestamps back in its answers (a nicq tcp-echo and a " +
            "Linux echo server send the bytes back unchanged), so the wires and the server are in 'not attributed'");
        report.note(String.format(Locale.ROOT, "TCP segments per round trip: received %.2f with data, %.2f without " +
            "new data (ACK-only; at most %d in one round trip); sent %.2f with data, %.2f ACK-only",
            (double)client.dataSegmentsReceived() / roundTrips, (double)client.ackOnlyReceived() / roundTrips,
            client.maxAckOnlyReceivedPerRoundTrip(), (double)client.dataSegmentsSent() / roundTrips,
            (double)client.ackOnlySent() / roundTrips));
        report.note("nicq: " + how + "; " + client.mismatched() + " answers not the request's bytes; " +
            client.connection().retransmissions() + " retransmissions; TCP_NODELAY " +
            (client.connection().noDelay() ? "on" : "off") + "; an answer's ACK " +
            (client.interactiveAckDelayNs() > 0 ? "waits up to " + client.interactiveAckDelayNs() / 1000 +
            " us for the next request" : "sent at once"));
        if (warmUp != null)
        {
            report.note("nicq " + warmUp.describe());
            if (!warmUp.describeAllocation().isEmpty())
            {
                report.note("nicq " + warmUp.describeAllocation());
            }
        }
        report.note("shares are of the mean round trip; TX phases are those of the segment with the request's " +
            "first byte, RX phases those of the segment with the answer's last byte");
        if (recorder.clamped() > 0)
        {
            report.note(recorder.clamped() + " intervals over 10 s were recorded as 10 s");
        }
        if (kernel != null)
        {
            report.conditions(kernel.conditions());
        }
        return report.conditions(conditions);
    }
}
