package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the documentation readable and connected: README.md stays one screen (at most 16,000
 * bytes) and every relative link in README.md, docs/*.md, bench/README.md and the READMEs under
 * examples/ reaches an existing file, and, for a link into a Markdown file, an existing heading
 * (GitHub's anchor rules).
 */
class DocumentationTest {

    private static final int README_MAX_BYTES = 16_000;
    private static final Path README = Path.of("README.md");

    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");

    @Test
    void readmeIsOneScreen() throws IOException {
        String readme = Files.readString(README);
        assertThat(readme.getBytes(StandardCharsets.UTF_8).length)
                .as("README.md in bytes; move detail into docs/")
                .isLessThanOrEqualTo(README_MAX_BYTES);
    }

    @Test
    void everyRelativeLinkReachesAFileAndAHeading() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(README, Path.of("bench", "README.md")));
        try (Stream<Path> examples = Files.walk(Path.of("examples"))) {
            examples.filter(p -> p.getFileName().toString().equals("README.md")).sorted().forEach(pages::add);
        }
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            String text = Files.readString(page);
            for (String target : links(text)) {
                if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: and the like
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path resolved = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(page + ": " + target + " (no such file)");
                    continue;
                }
                if (anchor != null && !anchors(Files.readString(resolved)).contains(anchor)) {
                    broken.add(page + ": " + target + " (no such heading)");
                }
            }
        }
        assertThat(checked).as("relative links found").isGreaterThan(50);
        assertThat(broken).isEmpty();
    }

    @Test
    void anchorsFollowGitHubsRules() {
        assertThat(anchors("""
                # Admin API
                ## `POST /admin/switch`
                ## Stopping: SIGTERM and SIGINT
                ## Expect: 100-continue
                ```sh
                # not a heading
                ```
                ## Errors
                ### Errors
                """)).containsExactly("admin-api", "post-adminswitch", "stopping-sigterm-and-sigint",
                "expect-100-continue", "errors", "errors-1");
        assertThat(links("see [a](x.md#y) and `[b](not-a-link.md)`\n```\n[c](in-code.md)\n```\n[d](../z.md)"))
                .containsExactly("x.md#y", "../z.md");
    }

    /** The link targets of a Markdown text, outside code blocks and inline code. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            Matcher m = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
            while (m.find()) {
                targets.add(m.group(1));
            }
        }
        return targets;
    }

    /**
     * The anchors GitHub gives the headings of a Markdown text: lower case, every character but
     * letters, digits, spaces, hyphens and underscores removed, spaces made hyphens, and a repeated
     * anchor numbered -1, -2 and so on.
     */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            Matcher m = HEADING.matcher(line);
            if (fenced || !m.matches()) {
                continue;
            }
            String base = m.group(1).toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N}\\p{M} _-]", "")
                    .replace(' ', '-');
            int n = seen.merge(base, 1, Integer::sum) - 1;
            anchors.add(n == 0 ? base : base + "-" + n);
        }
        return anchors;
    }
}
