package io.nicq.examples.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallWatch;

/** Builds the per-phase report of an RPC run from its recorder and the kernel baseline of the same run. */
public final class RpcReport
{
    private RpcReport()
    {
    }

    /**
     * @param kernel the kernel baseline, null when it was not measured
     * @param how    one line on how nicq was arranged (modes, threads, CPUs)
     */
    public static LatencyReport build(final RpcClient client, final String label, final int size, final String mode,
        final KernelBaseline.Result kernel, final String how)
    {
        return build(client, label, size, mode, kernel, how, null, null);
    }

    /**
     * @param kernel     the kernel baseline, null when it was not measured
     * @param how        one line on how nicq was arranged (modes, threads, CPUs)
     * @param warmUp     how nicq's warm-up went, null when not told
     * @param conditions the stalls and hiccups of nicq's measured window, null when not watched
     */
    public static LatencyReport build(final RpcClient client, final String label, final int size, final String mode,
        final KernelBaseline.Result kernel, final String how, final WarmUp warmUp, final StallWatch conditions)
    {
        final RoundTripRecorder recorder = client.recorder();
        final List<LatencyReport.Phase> phases = new ArrayList<>();
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            phases.add(new LatencyReport.Phase(RoundTripRecorder.SEGMENTS[i], recorder.segment(i)));
        }
        final LatencyReport.Run nicq = new LatencyReport.Run(label, recorder.roundTrip(), phases);
        final LatencyReport.Run kernelRun = kernel == null ? null :
            new LatencyReport.Run(kernel.label(), kernel.roundTrip(), List.of());
        final LatencyReport report = new LatencyReport(String.format(Locale.ROOT,
            "RPC round trip: %d-byte UDP payload, %d round trips, %s mode", size, recorder.roundTrips(), mode),
            nicq, kernelRun);
        report.note(kernel == null ? "kernel baseline: not measured" :
            "kernel baseline: " + kernel.server() + ", " + kernel.label() + ", same payload and count, measured first" +
            (kernel.lost() > 0 ? ", " + kernel.lost() + " lost" : ""));
        if (kernel != null && kernel.warmUp() != null)
        {
            report.note("kernel " + kernel.warmUp().describe());
        }
        report.note("nicq: " + how + "; " + client.lost() + " lost");
        if (warmUp != null)
        {
            report.note("nicq " + warmUp.describe());
            if (!warmUp.describeAllocation().isEmpty())
            {
                report.note("nicq " + warmUp.describeAllocation());
            }
        }
        report.note("shares are of the mean round trip; wire segments need both cards' clocks (one host)");
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
