package io.nicq.reliability;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Where an embedded card driver logs during a test: the last lines (for failure messages) and every line reporting a
 * failure inside it, in bounded memory, so that a run of 100,000 cycles (a log line each) does not look like a leak.
 */
final class BoundedLog extends OutputStream
{
    private static final int TAIL_LINES = 400;
    private static final int MAX_ERROR_LINES = 1000;

    private final StringBuilder line = new StringBuilder();
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> errors = new ArrayList<>();
    private long lines;

    public synchronized void write(final int b)
    {
        if (b == '\n')
        {
            final String text = line.toString();
            line.setLength(0);
            lines++;
            tail.addLast(text);
            if (tail.size() > TAIL_LINES)
            {
                tail.removeFirst();
            }
            if ((text.contains("internal error") || text.contains("internal command failed")) &&
                errors.size() < MAX_ERROR_LINES)
            {
                errors.add(text);
            }
        }
        else
        {
            line.append((char)b);
        }
    }

    public synchronized void write(final byte[] b, final int off, final int len)
    {
        final String text = new String(b, off, len, StandardCharsets.UTF_8);
        for (int i = 0; i < text.length(); i++)
        {
            write(text.charAt(i));
        }
    }

    synchronized String tail()
    {
        return String.join("\n", tail);
    }

    synchronized List<String> errors()
    {
        return new ArrayList<>(errors);
    }

    synchronized long lines()
    {
        return lines;
    }
}
