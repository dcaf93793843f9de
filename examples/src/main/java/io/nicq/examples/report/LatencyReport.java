package io.nicq.examples.report;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * The per-phase latency report of an RPC run: for the round trip and every phase, p50 / p90 / p99 / p99.9 / max and
 * the phase's share of the round trip, beside the same round trip through the Linux kernel's sockets (UDP or TCP)
 * measured in the same run. Written as a console table, one {@code .hgrm} file per histogram, a PNG chart (per-phase breakdown and
 * round-trip percentile curves) and a JSON summary.
 * <p>
 * Shares are of the mean: means add up along the chain of phases, percentiles do not. What the phases do not cover
 * (a phase with no timestamps, e.g. the wire on real hardware) shows as "not attributed".
 */
public final class LatencyReport
{
    /** Percentiles of the table and the JSON. */
    static final double[] PERCENTILES = {50.0, 90.0, 99.0, 99.9, 99.99};

    /** One measured phase. */
    public record Phase(String name, Histogram histogram)
    {
    }

    /** One way of doing the round trip: nicq in some mode, or the kernel. */
    public record Run(String label, Histogram roundTrip, List<Phase> phases)
    {
    }

    private final String title;
    private final Run nicq;
    private final Run kernel;
    private final List<String> notes = new ArrayList<>();
    private final List<StallWatch> conditions = new ArrayList<>();

    /**
     * @param title  e.g. "RPC round trip, 64-byte UDP payload, 100000 round trips"
     * @param nicq   the nicq run with its phases
     * @param kernel the kernel baseline of the same run, or null if it could not be measured
     */
    public LatencyReport(final String title, final Run nicq, final Run kernel)
    {
        this.title = title;
        this.nicq = nicq;
        this.kernel = kernel;
    }

    /** A line printed under the table (how the baseline was measured, what was skipped). */
    public LatencyReport note(final String note)
    {
        notes.add(note);
        return this;
    }

    /** The stalls and hiccups of a run's measured window, printed under the notes and kept in the JSON. */
    public LatencyReport conditions(final StallWatch watch)
    {
        if (watch != null)
        {
            conditions.add(watch);
        }
        return this;
    }

    public Run nicq()
    {
        return nicq;
    }

    public Run kernel()
    {
        return kernel;
    }

    /** Round-trip p50 of nicq over that of the kernel, or NaN without a baseline. */
    public double p50Ratio()
    {
        return kernel == null || kernel.roundTrip().getTotalCount() == 0 ? Double.NaN :
            (double)nicq.roundTrip().getValueAtPercentile(50) / kernel.roundTrip().getValueAtPercentile(50);
    }

    /** nicq's round-trip p99.99 over its own p50: how much the tail stretches. */
    public double tailRatio()
    {
        return tailRatio(nicq.roundTrip());
    }

    /** The kernel's round-trip p99.99 over its own p50, or NaN without a baseline: the same stretch, beside nicq's. */
    public double kernelTailRatio()
    {
        return kernel == null ? Double.NaN : tailRatio(kernel.roundTrip());
    }

    private static double tailRatio(final Histogram h)
    {
        return h.getTotalCount() == 0 ? Double.NaN :
            (double)h.getValueAtPercentile(99.99) / h.getValueAtPercentile(50);
    }

    /** The console table. */
    public String table()
    {
        final StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        final String header = String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s %9s %9s %6s%n",
            "phase (microseconds)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "share");
        out.append(header);
        out.append("-".repeat(header.length() - 1)).append('\n');

        final double roundTripMean = nicq.roundTrip().getMean();
        double attributed = 0;
        for (final Phase phase : nicq.phases())
        {
            if (phase.histogram().getTotalCount() == 0)
            {
                out.append(String.format(Locale.ROOT, "%-44s %s%n", phase.name(), "(no timestamps)"));
                continue;
            }
            attributed += phase.histogram().getMean();
            out.append(row(phase.name(), phase.histogram(), share(phase.histogram().getMean(), roundTripMean)));
        }
        final double unattributed = roundTripMean - attributed;
        if (!nicq.phases().isEmpty() && unattributed > 0.005 * roundTripMean)
        {
            out.append(String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s %9s %9s %6s%n", "not attributed (mean)",
                micros(unattributed), "", "", "", "", "", share(unattributed, roundTripMean)));
        }
        out.append("-".repeat(header.length() - 1)).append('\n');
        out.append(row("round trip: " + nicq.label(), nicq.roundTrip(), "100%"));
        if (kernel != null)
        {
            out.append(row("round trip: " + kernel.label(), kernel.roundTrip(), ""));
            out.append(String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s %9s %9s%n", "ratio nicq / kernel",
                ratio(50), ratio(90), ratio(99), ratio(99.9), ratio(99.99), ratio(100)));
        }
        out.append(String.format(Locale.ROOT, "round trips: %d nicq%s; p99.99 / p50: nicq %.2f%s%n",
            nicq.roundTrip().getTotalCount(),
            kernel == null ? "" : ", " + kernel.roundTrip().getTotalCount() + " kernel", tailRatio(),
            kernel == null ? "" : String.format(Locale.ROOT, ", kernel %.2f", kernelTailRatio())));
        for (final String note : notes)
        {
            out.append(note).append('\n');
        }
        for (final StallWatch watch : conditions)
        {
            for (final String line : watch.lines())
            {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Writes every file of the report into {@code dir}: {@code report.txt}, {@code report.json}, {@code report.png},
     * and {@code hgrm/<name>.hgrm} per histogram.
     *
     * @return the files written
     */
    public List<Path> write(final Path dir) throws IOException
    {
        Files.createDirectories(dir.resolve("hgrm"));
        final List<Path> written = new ArrayList<>();
        final Path text = dir.resolve("report.txt");
        Files.writeString(text, table(), StandardCharsets.UTF_8);
        written.add(text);
        written.add(writeJson(dir.resolve("report.json")));
        written.add(writePng(dir.resolve("report.png")));
        written.addAll(writeHgrm(dir.resolve("hgrm")));
        return written;
    }

    /** One HdrHistogram percentile distribution file per histogram, values in microseconds. */
    public List<Path> writeHgrm(final Path dir) throws IOException
    {
        return writeHgrm(dir, "");
    }

    /** The .hgrm files, each name starting with {@code prefix} (a combined report's section). */
    List<Path> writeHgrm(final Path dir, final String prefix) throws IOException
    {
        final List<Path> files = new ArrayList<>();
        files.add(hgrm(dir, prefix + "round-trip-nicq", nicq.roundTrip()));
        if (kernel != null)
        {
            files.add(hgrm(dir, prefix + "round-trip-kernel", kernel.roundTrip()));
        }
        for (final StallWatch watch : conditions)
        {
            if (watch.hiccups() != null && watch.hiccups().getTotalCount() > 0)
            {
                files.add(hgrm(dir, prefix + "hiccups-" + slug(watch.label()), watch.hiccups()));
            }
        }
        int index = 1;
        for (final Phase phase : nicq.phases())
        {
            if (phase.histogram().getTotalCount() > 0)
            {
                files.add(hgrm(dir, String.format(Locale.ROOT, "%sphase-%02d-%s", prefix, index,
                    slug(phase.name())), phase.histogram()));
            }
            index++;
        }
        return files;
    }

    /** The JSON summary: percentiles in microseconds, shares, ratios. */
    public Path writeJson(final Path file) throws IOException
    {
        try (OutputStream out = Files.newOutputStream(file);
            JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8))
        {
            json.useDefaultPrettyPrinter();
            writeJson(json);
        }
        return file;
    }

    /** The JSON summary as one object on {@code json} (a combined report's section). */
    void writeJson(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("title", title);
        json.writeStringField("unit", "microseconds");
        json.writeFieldName("nicq");
        writeRun(json, nicq, true);
        if (kernel != null)
        {
            json.writeFieldName("kernel");
            writeRun(json, kernel, false);
            json.writeNumberField("p50RatioNicqToKernel", p50Ratio());
            json.writeObjectFieldStart("ratioNicqToKernel");
            for (final double p : PERCENTILES)
            {
                json.writeNumberField(percentileName(p), ratioAt(p));
            }
            json.writeNumberField("max", ratioAt(100));
            json.writeEndObject();
        }
        json.writeNumberField("p9999ToP50Nicq", tailRatio());
        if (kernel != null)
        {
            json.writeNumberField("p9999ToP50Kernel", kernelTailRatio());
        }
        json.writeArrayFieldStart("notes");
        for (final String note : notes)
        {
            json.writeString(note);
        }
        json.writeEndArray();
        json.writeArrayFieldStart("conditions");
        for (final StallWatch watch : conditions)
        {
            writeConditions(json, watch);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** The chart: per-phase p50 and p99 on the left, round-trip percentile curves on the right. */
    public Path writePng(final Path file) throws IOException
    {
        BitmapEncoder.saveBitmap(charts(""), 1, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /** The chart's two halves, their titles starting with {@code prefix} (a combined report's section). */
    List<Chart<?, ?>> charts(final String prefix)
    {
        final List<Chart<?, ?>> charts = new ArrayList<>();
        charts.add(breakdownChart(prefix));
        charts.add(percentileChart(prefix));
        return charts;
    }

    private CategoryChart breakdownChart(final String prefix)
    {
        final CategoryChart chart = new CategoryChartBuilder().width(900).height(650)
            .title(prefix + "Where the round trip goes").xAxisTitle("phase").yAxisTitle("microseconds").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLabelRotation(70);
        chart.getStyler().setAxisTickLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 9));
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        final List<String> names = new ArrayList<>();
        final List<Double> p50 = new ArrayList<>();
        final List<Double> p99 = new ArrayList<>();
        for (final Phase phase : nicq.phases())
        {
            if (phase.histogram().getTotalCount() > 0)
            {
                names.add(phase.name());
                p50.add(phase.histogram().getValueAtPercentile(50) / 1000.0);
                p99.add(phase.histogram().getValueAtPercentile(99) / 1000.0);
            }
        }
        if (names.isEmpty())
        {
            names.add("round trip");
            p50.add(nicq.roundTrip().getValueAtPercentile(50) / 1000.0);
            p99.add(nicq.roundTrip().getValueAtPercentile(99) / 1000.0);
        }
        chart.addSeries("p50", names, p50);
        chart.addSeries("p99", names, p99);
        return chart;
    }

    private XYChart percentileChart(final String prefix)
    {
        final XYChart chart = new XYChartBuilder().width(700).height(650)
            .title(prefix + "Round trip by percentile").xAxisTitle("1/(1-p): 2 = median, 10 = p90, 100 = p99, 1000 = p99.9")
            .yAxisTitle("microseconds").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        addCurve(chart, shortLabel(nicq.label()), nicq.roundTrip());
        if (kernel != null && kernel.roundTrip().getTotalCount() > 0)
        {
            addCurve(chart, shortLabel(kernel.label()), kernel.roundTrip());
        }
        return chart;
    }

    private static void addCurve(final XYChart chart, final String name, final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return;
        }
        final List<Double> x = new ArrayList<>();
        final List<Double> y = new ArrayList<>();
        for (final double p : new double[] {0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999})
        {
            x.add(1.0 / (1.0 - p / 100.0));
            y.add(Math.max(0.001, histogram.getValueAtPercentile(p) / 1000.0));
        }
        chart.addSeries(name, x, y);
    }

    /** The legend's form of a run label: at most 40 characters. */
    private static String shortLabel(final String label)
    {
        return label.length() <= 40 ? label : label.substring(0, 39) + "…";
    }

    private void writeRun(final JsonGenerator json, final Run run, final boolean phases) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("label", run.label());
        json.writeFieldName("roundTrip");
        writeHistogram(json, run.roundTrip(), 1.0);
        if (phases)
        {
            final double mean = run.roundTrip().getMean();
            json.writeArrayFieldStart("phases");
            for (final Phase phase : run.phases())
            {
                json.writeStartObject();
                json.writeStringField("name", phase.name());
                if (phase.histogram().getTotalCount() > 0)
                {
                    json.writeFieldName("latency");
                    writeHistogram(json, phase.histogram(), mean > 0 ? phase.histogram().getMean() / mean : 0);
                }
                json.writeEndObject();
            }
            json.writeEndArray();
        }
        json.writeEndObject();
    }

    private static void writeConditions(final JsonGenerator json, final StallWatch watch) throws IOException
    {
        json.writeStartObject();
        json.writeStringField("run", watch.label());
        json.writeArrayFieldStart("busyThreads");
        for (final StallAccounting.Stall stall : watch.stalls())
        {
            json.writeStartObject();
            json.writeStringField("process", stall.process());
            json.writeNumberField("pid", stall.pid());
            json.writeStringField("thread", stall.thread());
            json.writeNumberField("cpuPercent", stall.cpuPercent());
            json.writeNumberField("runDelayMs", stall.runDelayNs() < 0 ? Double.NaN : stall.runDelayNs() / 1e6);
            json.writeNumberField("involuntarySwitches", stall.involuntarySwitches());
            json.writeNumberField("windowSeconds", stall.windowSeconds());
            json.writeEndObject();
        }
        json.writeEndArray();
        if (watch.hiccups() != null && watch.hiccups().getTotalCount() > 0)
        {
            json.writeNumberField("hiccupIntervalUs", watch.hiccupIntervalNs() / 1e3);
            json.writeFieldName("hiccups");
            writeHistogram(json, watch.hiccups(), Double.NaN);
        }
        json.writeEndObject();
    }

    private static void writeHistogram(final JsonGenerator json, final Histogram h, final double share)
        throws IOException
    {
        json.writeStartObject();
        json.writeNumberField("count", h.getTotalCount());
        json.writeNumberField("mean", h.getMean() / 1000.0);
        for (final double p : PERCENTILES)
        {
            json.writeNumberField(percentileName(p), h.getValueAtPercentile(p) / 1000.0);
        }
        json.writeNumberField("max", h.getMaxValue() / 1000.0);
        json.writeNumberField("shareOfRoundTrip", share);
        json.writeEndObject();
    }

    private static Path hgrm(final Path dir, final String name, final Histogram histogram) throws IOException
    {
        final Path file = dir.resolve(name + ".hgrm");
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(out, 1000.0);
        }
        return file;
    }

    private static String row(final String name, final Histogram h, final String share)
    {
        return String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s %9s %9s %6s%n", truncate(name, 44),
            micros(h.getValueAtPercentile(50)), micros(h.getValueAtPercentile(90)), micros(h.getValueAtPercentile(99)),
            micros(h.getValueAtPercentile(99.9)), micros(h.getValueAtPercentile(99.99)), micros(h.getMaxValue()), share);
    }

    private String ratio(final double percentile)
    {
        final double ratio = ratioAt(percentile);
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    /** nicq's round trip over the kernel's at a percentile (100: the maxima), NaN without a kernel value. */
    public double ratioAt(final double percentile)
    {
        if (kernel == null)
        {
            return Double.NaN;
        }
        final long k = percentile >= 100 ? kernel.roundTrip().getMaxValue() :
            kernel.roundTrip().getValueAtPercentile(percentile);
        final long n = percentile >= 100 ? nicq.roundTrip().getMaxValue() :
            nicq.roundTrip().getValueAtPercentile(percentile);
        return k == 0 ? Double.NaN : (double)n / k;
    }

    /** The JSON's name of a percentile: p50, p99_9. */
    static String percentileName(final double p)
    {
        return "p" + String.valueOf(p).replace(".0", "").replace('.', '_');
    }

    private static String share(final double part, final double whole)
    {
        return whole <= 0 ? "" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String micros(final double nanos)
    {
        return String.format(Locale.ROOT, "%.2f", nanos / 1000.0);
    }

    private static String truncate(final String s, final int width)
    {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }

    static String slug(final String name)
    {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }
}
