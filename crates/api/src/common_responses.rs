//! What the OpenAPI document says about every operation at once: the bearer security scheme,
//! 401 and 429 on every route and 403 on scoped ones, and the headers every answer carries
//! (`RateLimit-*`, `X-Request-Id`). Applied to the finished document, so routes added later get
//! it too; a scoped route only declares `security(("bearer" = ["<scope>"]))`.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Content, Object, OpenApi, PathItem, Ref, RefOr, Response, ResponseBuilder, Type,
};

/// The security scheme's name in the document.
pub(crate) const BEARER: &str = "bearer";

/// Adds the scheme, responses and headers to every operation of `api`.
pub(crate) fn document(api: &mut OpenApi) {
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.description = Some(
        "An API key made by `cairn api-keys create`, sent as `Authorization: Bearer <key>`. \
         Reads need none unless the node runs with `--api-require-key`; writes and admin routes \
         name the scope they need."
            .into(),
    );
    api.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    for item in api.paths.paths.values_mut() {
        for operation in operations(item) {
            let scoped = operation.security.is_some();
            if !scoped {
                // Open: no key, or any key (which then gets its own rate limit).
                operation.security = Some(vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                ]);
            }
            let responses = &mut operation.responses.responses;
            responses.entry("401".into()).or_insert_with(|| {
                let description = if scoped {
                    "No API key, or a malformed, unknown or revoked one"
                } else {
                    "A malformed, unknown or revoked API key, or none where the node requires one"
                };
                problem(description, &[("WWW-Authenticate", "The Bearer challenge")])
            });
            if scoped {
                responses.entry("403".into()).or_insert_with(|| {
                    problem(
                        "The API key lacks the scope this route needs",
                        &[("WWW-Authenticate", "The Bearer challenge naming the scope")],
                    )
                });
            }
            responses.entry("429".into()).or_insert_with(|| {
                problem(
                    "Rate limit used up (per key, or per client address without a key)",
                    &[("Retry-After", "Seconds until a request will be admitted")],
                )
            });
            for response in responses.values_mut() {
                if let RefOr::T(response) = response {
                    add_common_headers(response);
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

fn problem(description: &str, headers: &[(&str, &str)]) -> RefOr<Response> {
    let mut builder = ResponseBuilder::new()
        .description(description)
        .content(crate::error::PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))));
    for (name, description) in headers {
        builder = builder.header(*name, string_header(description));
    }
    RefOr::T(builder.build())
}

fn add_common_headers(response: &mut Response) {
    for (name, description) in [
        ("RateLimit-Limit", "Requests the caller's bucket holds when full"),
        ("RateLimit-Remaining", "Requests left in the bucket"),
        ("RateLimit-Reset", "Seconds until the bucket is full again"),
    ] {
        response.headers.entry(name.into()).or_insert_with(|| {
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(Object::with_type(Type::Integer)))
                    .description(Some(description))
                    .build(),
            )
        });
    }
    response.headers.entry("X-Request-Id".into()).or_insert_with(|| {
        RefOr::T(string_header("The request's id: the client's own if it sent a plain one"))
    });
}

fn string_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(Type::String)))
        .description(Some(description))
        .build()
}
