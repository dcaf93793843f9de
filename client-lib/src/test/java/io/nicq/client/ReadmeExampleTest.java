package io.nicq.client;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Java example in the project's README.md compiles as printed, imports included, against client-lib and what it
 * depends on: a newcomer can paste it. A failure shows the compiler's messages.
 */
class ReadmeExampleTest
{
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CLASS_NAME = Pattern.compile("\\bclass\\s+(\\w+)");

    @TempDir
    Path out;

    @Test
    void theReadmesJavaExampleCompiles() throws IOException
    {
        final Path readme = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../README.md")
            .normalize();
        final List<String> blocks = javaBlocks(Files.readString(readme, StandardCharsets.UTF_8));
        assertFalse(blocks.isEmpty(), "no ```java block in " + readme);
        for (final String block : blocks)
        {
            compile(readme, block);
        }
    }

    private static List<String> javaBlocks(final String markdown)
    {
        final List<String> blocks = new ArrayList<>();
        final Matcher matcher = JAVA_BLOCK.matcher(markdown);
        while (matcher.find())
        {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }

    private void compile(final Path readme, final String source)
    {
        final Matcher className = CLASS_NAME.matcher(source);
        assertTrue(className.find(), "the example in " + readme + " is no compilation unit (no class):\n" + source);
        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "this JVM has no compiler (a JRE?)");
        final DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        final JavaFileObject unit = new SimpleJavaFileObject(
            URI.create("string:///" + className.group(1) + JavaFileObject.Kind.SOURCE.extension),
            JavaFileObject.Kind.SOURCE)
        {
            public CharSequence getCharContent(final boolean ignoreEncodingErrors)
            {
                return source;
            }
        };
        final List<String> options = List.of("-classpath", System.getProperty("java.class.path"),
            "-d", out.toString(), "-Xlint:all", "-Werror");
        final boolean compiled = compiler.getTask(null, null, diagnostics, options, null, List.of(unit)).call();
        if (!compiled)
        {
            final StringBuilder messages = new StringBuilder();
            for (final Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics())
            {
                messages.append("line ").append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT))
                    .append('\n');
            }
            fail("the Java example in " + readme + " does not compile:\n" + messages + "\n" + source);
        }
    }
}
