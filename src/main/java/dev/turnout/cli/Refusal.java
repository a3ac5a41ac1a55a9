package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Turns an admin answer other than 200 into the exit code and the one line it means. */
final class Refusal {

    private Refusal() {}

    /** {@code answer} itself when it is a 200; else the failure it stands for. */
    static AdminAnswer unlessOk(AdminAnswer answer, AdminClient admin) throws CliFailure {
        if (answer.status() == 200) {
            return answer;
        }
        throw of(answer, admin);
    }

    static CliFailure of(AdminAnswer answer, AdminClient admin) {
        String error = answer.text("error").orElse("");
        String detail = answer.text("detail").orElse("");
        return switch (answer.status()) {
            case 401 -> new CliFailure(Exit.UNAVAILABLE, admin.hasToken()
                    ? "the admin API at " + admin.base() + " refused the token in TURNOUT_ADMIN_TOKEN (401 unauthorized)"
                    : "the admin API at " + admin.base() + " needs a token: set TURNOUT_ADMIN_TOKEN to its admin.token (401 unauthorized)");
            case 409 -> new CliFailure(Exit.REFUSED, error.equals("gate_failed") ? gate(answer) : "refused (" + error + "): " + detail);
            case 400, 404 -> error.equals("unknown_pool") || error.equals("target_required")
                    ? new CliFailure(Exit.USAGE, detail)
                    : unexpected(answer, admin, error, detail);
            default -> unexpected(answer, admin, error, detail);
        };
    }

    /** The gate's reason, its detail and each failing backend, e.g. {@code 127.0.0.1:8002: status 503}. */
    private static String gate(AdminAnswer answer) {
        String reason = answer.text("reason").orElse("?");
        List<String> backends = new ArrayList<>();
        for (JsonNode failure : answer.json().path(reason)) {
            String what = failure.hasNonNull("error") ? failure.get("error").asText()
                    : failure.has("status") ? "status " + failure.get("status").asText() : "not checked yet";
            String request = failure.has("path") ? failure.path("method").asText() + " " + failure.get("path").asText() + " " : "";
            backends.add(failure.path("backend").asText() + ": " + request + what);
        }
        return "the switch gate refused " + answer.text("pool").orElse("?") + " (" + reason + "): "
                + answer.text("detail").orElse("") + (backends.isEmpty() ? "" : " [" + String.join("; ", backends) + "]");
    }

    private static CliFailure unexpected(AdminAnswer answer, AdminClient admin, String error, String detail) {
        return new CliFailure(Exit.UNAVAILABLE, error.isEmpty()
                ? "the admin API at " + admin.base() + " answered " + answer.status() + " without an error in JSON"
                : "the admin API answered " + answer.status() + " " + error + ": " + detail);
    }
}
