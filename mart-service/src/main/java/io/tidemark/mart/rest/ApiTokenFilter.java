package io.tidemark.mart.rest;

import io.tidemark.mart.model.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/**
 * Every dashboard API call needs a configured Bearer token; a call naming a {@code source} needs a
 * token that reads it, and the export endpoints need an operator token. Checked here, once, so an
 * endpoint added later is scoped without remembering to be.
 */
public class ApiTokenFilter {

    private static final String BEARER = "Bearer ";
    private static final String EXPORTS = "/api/v1/exports";

    private final ApiTokens tokens;
    private final Caller caller;

    public ApiTokenFilter(ApiTokens tokens, Caller caller) {
        this.tokens = tokens;
        this.caller = caller;
    }

    @ServerRequestFilter
    public Optional<Response> authorize(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/")) {
            return Optional.empty();
        }
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        // The scheme's name is case-insensitive (RFC 9110, 11.1): "bearer" is as good as "Bearer".
        Optional<ApiToken> token = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? tokens.find(authorization.substring(BEARER.length()).trim())
                : Optional.empty();
        if (token.isEmpty()) {
            return Optional.of(Response.status(401).type(ProblemMapper.PROBLEM_JSON)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(new Problem("urn:tidemark:problem:unauthorized", "Unauthorized", 401,
                            "a valid read token is required as 'Authorization: Bearer <token>'", "Authorization"))
                    .build());
        }
        caller.authorizedAs(token.get());
        if (path.startsWith(EXPORTS) && !token.get().operator()) {
            return Optional.of(forbidden("exports need an operator token; this token only reads", "Authorization"));
        }
        // Blank or malformed ids are left to the resource, which answers 400 naming the parameter.
        String source = request.getUriInfo().getQueryParameters().getFirst("source");
        if (source != null && !source.isBlank() && !token.get().reads(source)) {
            return Optional.of(forbidden("this token does not read source '" + source + "'", "source"));
        }
        return Optional.empty();
    }

    private static Response forbidden(String detail, String field) {
        return Response.status(403).type(ProblemMapper.PROBLEM_JSON)
                .entity(new Problem("urn:tidemark:problem:forbidden", "Forbidden", 403, detail, field)).build();
    }
}
