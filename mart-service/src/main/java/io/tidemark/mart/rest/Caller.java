package io.tidemark.mart.rest;

import jakarta.enterprise.context.RequestScoped;

/** The token the current request was authorized with, set by {@link ApiTokenFilter} before any resource runs. */
@RequestScoped
public class Caller {

    private ApiToken token;

    void authorizedAs(ApiToken token) {
        this.token = token;
    }

    public ApiToken token() {
        if (token == null) {
            throw new IllegalStateException("no token on this request: the path is not under /api/");
        }
        return token;
    }
}
