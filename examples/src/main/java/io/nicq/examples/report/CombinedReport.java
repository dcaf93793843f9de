package io.nicq.examples.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Several {@link LatencyReport}s of one run as one report (the demo's UDP and TCP round trips): every section's table
 * under its name in {@code report.txt}, the sections in {@code report.json} beside the facts that compare them,
 * one {@code report.png} with a row per section, and each section's {@code .hgrm} files named after it.
 */
public final class CombinedReport
{
    /** One section: its name (e.g. "udp") and its report. */
    public record Section(String name, LatencyReport report)
    {
    }

    /** A number that compares sections, for the JSON, with the line that says it in the table. */
    private record Fact(String name, double value, String line)
    {
    }

    private final String title;
    private final List<Section> sections = new ArrayList<>();
    private final List<Fact> facts = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public CombinedReport(final String title)
    {
        this.title = title;
    }

    /** Adds a section; its files' names start with {@code name}. */
    public CombinedReport section(final String name, final LatencyReport report)
    {
        sections.add(new Section(name, report));
        return this;
    }

    /** A number comparing the sections: {@code name} in the JSON, {@code line} under the tables ("" for none). */
    public CombinedReport fact(final String name, final double value, final String line)
    {
        facts.add(new Fact(name, value, line));
        return this;
    }

    /** A line under the tables. */
    public CombinedReport note(final String note)
    {
        notes.add(note);
        return this;
    }

    public List<Section> sections()
    {
        return sections;
    }

    /** The console table: the title, every section's table under its name, then the facts and notes. */
    public String table()
    {
        final StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        for (final Section section : sections)
        {
            out.append('\n').append("== ").append(section.name()).append(" ==").append('\n');
            out.append(section.report().table());
        }
        if (!facts.isEmpty() || !notes.isEmpty())
        {
            out.append('\n');
        }
        for (final Fact fact : facts)
        {
            if (!fact.line().isEmpty())
            {
                out.append(fact.line()).append('\n');
            }
        }
        for (final String note : notes)
        {
            out.append(note).append('\n');
        }
        return out.toString();
    }

    /**
     * Writes {@code report.txt}, {@code report.json}, {@code report.png} and {@code hgrm/<section>-<name>.hgrm} into
     * {@code dir}.
     *
     * @return the files written
     */
    public List<Path> write(final Path dir) throws IOException
    {
        final Path hgrm = dir.resolve("hgrm");
        Files.createDirectories(hgrm);
        final List<Path> written = new ArrayList<>();
        final Path text = dir.resolve("report.txt");
        Files.writeString(text, table(), StandardCharsets.UTF_8);
        written.add(text);
        written.add(writeJson(dir.resolve("report.json")));
        written.add(writePng(dir.resolve("report.png")));
        for (final Section section : sections)
        {
            written.addAll(section.report().writeHgrm(hgrm, LatencyReport.slug(section.name()) + "-"));
        }
        return written;
    }

    private Path writeJson(final Path file) throws IOException
    {
        try (OutputStream out = Files.newOutputStream(file);
            JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8))
        {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();
            json.writeStringField("title", title);
            json.writeObjectFieldStart("sections");
            for (final Section section : sections)
            {
                json.writeFieldName(section.name());
                section.report().writeJson(json);
            }
            json.writeEndObject();
            for (final Fact fact : facts)
            {
                json.writeNumberField(fact.name(), fact.value());
            }
            json.writeArrayFieldStart("notes");
            for (final String note : notes)
            {
                json.writeString(note);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        return file;
    }

    private Path writePng(final Path file) throws IOException
    {
        final List<Chart<?, ?>> charts = new ArrayList<>();
        for (final Section section : sections)
        {
            charts.addAll(section.report().charts(section.name() + ": "));
        }
        BitmapEncoder.saveBitmap(charts, sections.size(), 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
