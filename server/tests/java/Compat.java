import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every case against the reference WireMock and against fake-servicer
 * (both, and the upstream, reset with {@code resetAll} before each run) and
 * compares the observations.
 *
 * <p>Usage: {@code java Compat <referenceUrl> <oursUrl> <upstreamUrl>
 * <known-differences.txt> <CaseClass>...}. Each case class has {@code public
 * static List<Case> all()}. The environment variable {@code
 * FAKE_SERVICER_JAVA_CASE}, when set, runs only the cases whose name contains
 * it.
 *
 * <p>Prints one line per case: {@code SAME name: obs}, {@code KNOWN name:
 * reason | reference=… ours=…} or {@code DIFF name: reference=… ours=…}; a
 * known difference whose observations agree prints {@code STALE}. Exits 1
 * when any case is DIFF or STALE.
 */
public final class Compat {
  /** How long one case may run on one server. */
  static final long CASE_TIMEOUT_SECONDS = 60;

  private static final ExecutorService POOL =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "case");
            t.setDaemon(true);
            return t;
          });

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println(
          "usage: Compat <referenceUrl> <oursUrl> <upstreamUrl> <known-differences.txt> <CaseClass>...");
      System.exit(2);
    }
    Ctx reference = new Ctx(args[0], args[2]);
    Ctx ours = new Ctx(args[1], args[2]);
    Map<String, String> known = known(Path.of(args[3]));
    String only = System.getenv("FAKE_SERVICER_JAVA_CASE");

    List<Case> cases = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      @SuppressWarnings("unchecked")
      List<Case> some = (List<Case>) Class.forName(args[i]).getMethod("all").invoke(null);
      cases.addAll(some);
    }
    Map<String, Case> byName = new LinkedHashMap<>();
    for (Case c : cases) {
      if (byName.put(c.name(), c) != null) {
        System.out.println("DIFF " + c.name() + ": two cases have this name");
        System.exit(1);
      }
    }

    int same = 0, knownCount = 0, bad = 0;
    for (Case c : byName.values()) {
      if (only != null && !only.isEmpty() && !c.name().contains(only)) {
        continue;
      }
      String r = observe(reference, c);
      String o = observe(ours, c);
      String reason = known.get(c.name());
      if (reason != null) {
        if (r.equals(o)) {
          bad++;
          System.out.println(
              "STALE " + c.name() + ": listed in known-differences.txt but both observed " + r);
        } else {
          knownCount++;
          System.out.println(
              "KNOWN " + c.name() + ": " + reason + " | reference=" + r + " ours=" + o);
        }
      } else if (r.equals(o)) {
        same++;
        System.out.println("SAME " + c.name() + ": " + r);
      } else {
        bad++;
        System.out.println("DIFF " + c.name() + ": reference=" + r + " ours=" + o);
      }
    }
    System.out.println(
        "SUMMARY same=" + same + " known=" + knownCount + " failing=" + bad);
    System.exit(bad == 0 ? 0 : 1);
  }

  /** `CaseName: reason` lines; blank lines and `#` comments skipped. */
  static Map<String, String> known(Path file) throws Exception {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file)) {
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int colon = l.indexOf(':');
      if (colon < 0) {
        out.put(l, "");
      } else {
        out.put(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
      }
    }
    return out;
  }

  /** Resets the server and the upstream, runs the case, renders its observation. */
  static String observe(Ctx ctx, Case c) {
    try {
      ctx.admin.resetAll();
      ctx.upstreamAdmin.resetAll();
    } catch (Exception e) {
      return "resetAll failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    Future<Object> f = POOL.submit(() -> c.body().run(ctx));
    try {
      return render(f.get(CASE_TIMEOUT_SECONDS, TimeUnit.SECONDS));
    } catch (TimeoutException e) {
      f.cancel(true);
      return "Timeout";
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable t = e.getCause();
      System.out.println(
          "  (" + c.name() + " at " + ctx.base + " threw " + t.getClass().getName() + ": "
              + oneLine(String.valueOf(t.getMessage())) + ")");
      return t.getClass().getSimpleName();
    } catch (InterruptedException e) {
      return "Interrupted";
    }
  }

  private static String oneLine(String s) {
    String l = s.replace('\n', ' ');
    return l.length() > 300 ? l.substring(0, 300) + "…" : l;
  }

  /** Deterministic text: maps sorted by key, strings quoted. */
  static String render(Object o) {
    if (o == null) {
      return "null";
    }
    if (o instanceof String s) {
      return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
    if (o instanceof Map<?, ?> m) {
      Map<String, String> sorted = new TreeMap<>();
      m.forEach((k, v) -> sorted.put(String.valueOf(k), render(v)));
      StringBuilder b = new StringBuilder("{");
      sorted.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(v));
      return b.append('}').toString();
    }
    if (o instanceof Iterable<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (Object x : l) {
        b.append(b.length() > 1 ? ", " : "").append(render(x));
      }
      return b.append(']').toString();
    }
    return String.valueOf(o);
  }
}
