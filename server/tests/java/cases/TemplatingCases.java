import static com.github.tomakehurst.wiremock.client.WireMock.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Response templating: stubs with the response-template transformer, rendered per request. */
public final class TemplatingCases {
  private static final String T = "response-template";

  /** Stubs ANY /tpl... to render {@code template}; returns the rendered body (or status and body). */
  private static Object render(Ctx c, String template, String path, Map<String, String> headers, String body)
      throws Exception {
    c.wm.register(any(urlPathMatching("/tpl.*")).willReturn(aResponse().withBody(template).withTransformers(T)));
    Resp r = c.http(body == null ? "GET" : "POST", path, headers, body);
    return r.status() == 200 ? r.body() : List.of(r.status(), r.body());
  }

  private static Object render(Ctx c, String template) throws Exception {
    return render(c, template, "/tpl", Map.of(), null);
  }

  public static List<Case> all() {
    return List.of(
        new Case(
            "templating_exposes_the_request_method_path_url_and_segments",
            c ->
                render(
                    c,
                    "{{request.method}}|{{request.path}}|{{request.url}}|{{request.pathSegments.[1]}}|{{request.path.[0]}}",
                    "/tpl/seg/x?a=1&b=2",
                    Map.of(),
                    null)),
        new Case(
            "templating_exposes_query_parameters_first_and_by_index",
            c ->
                render(
                    c,
                    "{{request.query.a}}|{{request.query.a.[1]}}|{{request.query.b}}|{{request.query.none}}|{{size request.query.a}}|{{#each request.query.a}}<{{this}}>{{/each}}",
                    "/tpl?a=1&a=2&b=x%20y",
                    Map.of(),
                    null)),
        new Case(
            "templating_exposes_headers_case_insensitively_and_cookies",
            c ->
                render(
                    c,
                    "{{request.headers.X-Foo}}|{{request.headers.x-foo}}|{{request.headers.[X-FOO]}}|{{request.cookies.c}}",
                    "/tpl",
                    Map.of("X-Foo", "bar", "Cookie", "c=cv"),
                    null)),
        new Case(
            "templating_exposes_the_body_as_text_and_base64",
            c -> render(c, "{{request.body}}|{{request.bodyAsBase64}}", "/tpl", Map.of(), "hello=1")),
        new Case(
            "templating_exposes_path_parameters_of_a_path_template",
            c -> {
              c.wm.register(
                  get(urlPathTemplate("/users/{id}/orders/{order}"))
                      .willReturn(aResponse().withBody("{{request.path.id}}-{{request.path.order}}").withTransformers(T)));
              return c.http("GET", "/users/7/orders/x9").body();
            }),
        new Case(
            "templating_renders_header_values_but_not_the_status",
            c -> {
              c.wm.register(
                  get(urlPathEqualTo("/tpl-h"))
                      .willReturn(
                          aResponse()
                              .withStatus(201)
                              .withHeader("X-M", "{{request.method}}-{{request.query.q}}")
                              .withBody("{\"q\":\"{{request.query.q}}\"}")
                              .withTransformers(T)));
              Resp r = c.http("GET", "/tpl-h?q=z");
              return List.of(r.status(), r.header("X-M"), r.body());
            }),
        new Case(
            "templating_gives_transformer_parameters_to_the_template",
            c -> {
              c.wm.register(
                  get(urlPathEqualTo("/tpl-p"))
                      .willReturn(
                          aResponse()
                              .withBody("{{parameters.greeting}} {{parameters.n}}")
                              .withTransformers(T)
                              .withTransformerParameter("greeting", "hi")
                              .withTransformerParameter("n", 3)));
              return c.http("GET", "/tpl-p").body();
            }),
        new Case(
            "a_stub_without_the_transformer_sends_its_template_as_written",
            c -> {
              c.wm.register(get(urlPathEqualTo("/raw")).willReturn(ok("{{request.method}}")));
              return c.http("GET", "/raw").body();
            }),
        new Case(
            "templating_text_helpers_answer_as_wiremock",
            c ->
                render(
                    c,
                    "{{trim '  x  '}}|{{upper 'ab'}}|{{lower 'CD'}}|{{capitalize 'ab cd'}}|{{size 'abc'}}|{{base64 'hello'}}|{{base64 'aGVsbG8=' decode=true}}|{{urlEncode 'a b&c'}}|{{urlEncode 'a+b%21' decode=true}}|{{#trim}}  t  {{/trim}}")),
        new Case(
            "templating_regex_extract_answers_matches_groups_and_defaults",
            c ->
                render(
                    c,
                    "{{regexExtract 'abc123def' '[0-9]+'}}|{{regexExtract 'abc' '[0-9]+' default='none'}}|{{regexExtract 'abc' '[0-9]+'}}|{{regexExtract 'a1b22' '([a-z])([0-9]+)' 'parts'}}{{parts.[0]}}{{parts.[1]}}")),
        new Case(
            "templating_math_answers_whole_numbers_and_decimals",
            c -> render(c, "{{math 1 '+' 2}}|{{math 10 '/' 4}}|{{math 1 '/' 3}}|{{math 1.5 '*' 2}}|{{math 2 '+' 3.0}}|{{math '3' '-' 5}}")),
        new Case(
            "templating_json_path_reads_the_body",
            c ->
                render(
                    c,
                    "{{jsonPath request.body '$.a.b'}}|{{jsonPath request.body '$.arr'}}|{{jsonPath request.body '$.arr[1]'}}|{{jsonPath request.body '$.missing' default='d'}}|{{#each (jsonPath request.body '$.arr')}}<{{this}}>{{/each}}|{{size (jsonPath request.body '$.arr')}}|{{jsonPath request.body '$'}}|{{jsonPath request.body '$.m'}}",
                    "/tpl",
                    Map.of("Content-Type", "application/json"),
                    "{\"a\":{\"b\":\"B\",\"n\":null,\"o\":{}},\"arr\":[1,\"x\",true],\"m\":[{\"k\":[]}]}")),
        new Case(
            "templating_parse_json_and_assign_set_variables",
            c ->
                render(
                    c,
                    "{{parseJson request.body 'doc'}}{{doc.a.b}}|{{#with (parseJson request.body)}}{{a.b}}{{/with}}|{{#assign 'v'}}val{{/assign}}{{v}}",
                    "/tpl",
                    Map.of(),
                    "{\"a\":{\"b\":\"B\"}}")),
        new Case(
            "templating_logic_helpers_work_inline_and_as_blocks",
            c ->
                render(
                    c,
                    "{{#eq request.query.m.[0] 'GET'}}get{{else}}other{{/eq}}|{{#and true false}}y{{else}}n{{/and}}|{{#or true false}}y{{/or}}|{{#not false}}y{{/not}}|{{#gt 3 2}}y{{/gt}}|{{#lt 3 2}}y{{else}}n{{/lt}}|{{#unless false}}u{{/unless}}|{{#if (eq 1 1)}}one{{/if}}|{{#with request}}{{method}}{{/with}}",
                    "/tpl?m=GET",
                    Map.of(),
                    null)),
        new Case(
            "templating_eq_on_a_request_value_compares_its_text",
            c ->
                render(
                    c,
                    "{{#eq request.method 'GET'}}y{{else}}n{{/eq}}|{{#eq request.path '/tpl'}}y{{else}}n{{/eq}}|{{#eq request.query.q 'x'}}y{{else}}n{{/eq}}",
                    "/tpl?q=x",
                    Map.of(),
                    null)),
        new Case(
            "templating_writes_values_without_html_escaping",
            c -> render(c, "{{request.query.q}}", "/tpl?q=%3Ca%3E%26%22", Map.of(), null)),
        new Case(
            "templating_random_values_have_the_asked_shape",
            c -> {
              List<Object> out = new ArrayList<>();
              out.add(((String) render(c, "{{randomValue length=8 type='NUMERIC'}}")).matches("[0-9]{8}"));
              out.add(((String) render(c, "{{randomValue length=6 type='ALPHABETIC' uppercase=true}}")).matches("[A-Z]{6}"));
              out.add(((String) render(c, "{{randomValue length=10 type='HEXADECIMAL'}}")).matches("[0-9a-f]{10}"));
              out.add(((String) render(c, "{{randomValue length=7}}")).matches("[0-9a-z]{7}"));
              out.add(((String) render(c, "{{randomValue type='UUID'}}")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
              out.add(((String) render(c, "{{randomValue}}")).length());
              out.add(((String) render(c, "{{randomInt lower=1 upper=3}}")).matches("[12]"));
              return out;
            }),
        new Case(
            "templating_now_has_the_asked_format",
            c -> {
              List<Object> out = new ArrayList<>();
              out.add(((String) render(c, "{{now}}")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
              out.add(((String) render(c, "{{now format='yyyy-MM-dd'}}")).matches("\\d{4}-\\d\\d-\\d\\d"));
              out.add(((String) render(c, "{{now format='unix'}}")).matches("\\d{10}"));
              out.add(((String) render(c, "{{now format='epoch'}}")).matches("\\d{13}"));
              long day = Long.parseLong((String) render(c, "{{now offset='1 days' format='epoch'}}"));
              out.add(Math.abs(day - System.currentTimeMillis() - 86_400_000L) < 60_000L);
              out.add(((String) render(c, "{{now timezone='UTC' format=\"yyyy-MM-dd'T'HH:mm\"}}")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d"));
              return out;
            }));
  }
}
