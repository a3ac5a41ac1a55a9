package dev.turnout.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine;

/** {@code --admin}: an http or https URL with a host; a path, if any, is where the admin routes start. */
final class AdminUrl implements CommandLine.ITypeConverter<URI> {

    @Override
    public URI convert(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw invalid(value);
        }
        if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                || uri.getQuery() != null || uri.getFragment() != null) {
            throw invalid(value);
        }
        // Routes are resolved against the base as "admin/status", so the base must end in a slash.
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        return uri.resolve(path.endsWith("/") ? path : path + "/");
    }

    private static CommandLine.TypeConversionException invalid(String value) {
        return new CommandLine.TypeConversionException("\"" + value + "\" is not an admin URL (expected: http://HOST:PORT)");
    }
}
