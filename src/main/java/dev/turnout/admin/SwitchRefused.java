package dev.turnout.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;

/** A switch or rollback that cannot happen, with the status and JSON body the admin API answers. */
final class SwitchRefused extends RuntimeException {

    final HttpResponseStatus status;
    final ObjectNode body;

    private SwitchRefused(HttpResponseStatus status, String error, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.body = JsonNodeFactory.instance.objectNode().put("error", error).put("detail", detail);
    }

    static SwitchRefused unknownPool(String detail) {
        return new SwitchRefused(HttpResponseStatus.NOT_FOUND, "unknown_pool", detail);
    }

    /** A switch without {@code ?to=} when there are more than two pools to choose from. */
    static SwitchRefused targetRequired(String detail) {
        return new SwitchRefused(HttpResponseStatus.BAD_REQUEST, "target_required", detail);
    }

    static SwitchRefused noPreviousPool(String detail) {
        return new SwitchRefused(HttpResponseStatus.CONFLICT, "no_previous_pool", detail);
    }

    /** Cluster mode: another replica's flip got to etcd first; the body holds the state that won. */
    static SwitchRefused conflict(String detail, dev.turnout.cluster.ClusterState won) {
        SwitchRefused refused = new SwitchRefused(HttpResponseStatus.CONFLICT, "conflict", detail);
        com.fasterxml.jackson.databind.node.ObjectNode state = refused.body.putObject("state")
                .put("active", won.active()).put("generation", won.generation());
        won.previous().ifPresent(p -> state.put("previous", p));
        return refused;
    }

    /** Cluster mode: etcd does not answer, so no flip can be committed; traffic stays where it is. */
    static SwitchRefused clusterUnavailable(String detail) {
        return new SwitchRefused(HttpResponseStatus.SERVICE_UNAVAILABLE, "cluster_unavailable", detail);
    }

    /** A reload removed the target between the call and the flip. */
    static SwitchRefused poolRemoved(String detail) {
        return new SwitchRefused(HttpResponseStatus.CONFLICT, "pool_removed", detail);
    }

    /** The gate's check that refused ({@code unhealthy}, {@code probe}, {@code smoke}); empty for other refusals. */
    Optional<String> gateCheck() {
        return body.has("reason") ? Optional.of(body.get("reason").asText()) : Optional.empty();
    }

    /** The target failed the gate's {@code check}; {@code failures} are listed under the check's name. */
    static SwitchRefused gateFailed(String pool, String check, String detail, ArrayNode failures) {
        SwitchRefused refused = new SwitchRefused(HttpResponseStatus.CONFLICT, "gate_failed", detail);
        refused.body.put("pool", pool).put("reason", check).set(check, failures);
        return refused;
    }
}
