package io.tidemark.mart.rest;

import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Optional;

/** Every dashboard API call needs one of the configured Bearer read tokens. */
public class ReadTokenFilter {

    private static final String BEARER = "Bearer ";
    private final MartConfig config;

    public ReadTokenFilter(MartConfig config) {
        this.config = config;
    }

    @ServerRequestFilter
    public Optional<Response> requireReadToken(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith("/api/")) {
            return Optional.empty();
        }
        String authorization = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.startsWith(BEARER)
                && config.readTokens().contains(authorization.substring(BEARER.length()).trim())) {
            return Optional.empty();
        }
        return Optional.of(Response.status(401).type(ProblemMapper.PROBLEM_JSON)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .entity(new Problem("urn:tidemark:problem:unauthorized", "Unauthorized", 401,
                        "a valid read token is required as 'Authorization: Bearer <token>'", "Authorization"))
                .build());
    }
}
