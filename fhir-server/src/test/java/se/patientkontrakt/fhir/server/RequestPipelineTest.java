package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.interceptor.IServerInterceptor;
import ca.uhn.fhir.rest.server.interceptor.InterceptorAdapter;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/**
 * The request pipeline as the code declares it: every hook of every interceptor, by hook point and
 * order. No hook of this service may share its order with another hook at the same hook point,
 * ours or one of HAPI's that we register (the order of such hooks would otherwise be the order of
 * registration, which nobody sees), and every hook of ours names its order. The table in
 * {@code docs/ARCHITECTURE.md} must be the one the code gives: this test prints it when it is not.
 */
class RequestPipelineTest {

    private static final String ROOT = "se.patientkontrakt.fhir";
    private static final Path ARCHITECTURE = Path.of("..", "docs", "ARCHITECTURE.md");
    private static final String TABLE_START = "<!-- pipeline-table:start -->";
    private static final String TABLE_END = "<!-- pipeline-table:end -->";

    /** The hook points in the order a request meets them; others come after, by name. */
    private static final List<Pointcut> FLOW = List.of(
            Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED,
            Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLER_SELECTED,
            Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED,
            Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED,
            Pointcut.STORAGE_PREACCESS_RESOURCES,
            Pointcut.STORAGE_PRESHOW_RESOURCES,
            Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED,
            Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED,
            Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED,
            Pointcut.STORAGE_VERSION_CONFLICT,
            Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED,
            Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED,
            Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED,
            Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED,
            Pointcut.SUBSCRIPTION_BEFORE_REST_HOOK_DELIVERY,
            Pointcut.SUBSCRIPTION_AFTER_REST_HOOK_DELIVERY,
            Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED,
            Pointcut.SERVER_OUTGOING_RESPONSE,
            Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION,
            Pointcut.SERVER_HANDLE_EXCEPTION);

    record HookMethod(Pointcut pointcut, int order, Class<?> interceptor, String method, boolean ours) {}

    @Test
    void noHookOfOursSharesItsOrderAtAHookPoint() {
        Map<Pointcut, List<HookMethod>> byPointcut = hooks().stream()
                .collect(Collectors.groupingBy(HookMethod::pointcut, LinkedHashMap::new, Collectors.toList()));
        List<String> ambiguous = new ArrayList<>();
        byPointcut.forEach((pointcut, hooks) -> {
            for (int i = 0; i < hooks.size(); i++) {
                for (int j = i + 1; j < hooks.size(); j++) {
                    HookMethod a = hooks.get(i);
                    HookMethod b = hooks.get(j);
                    if ((a.ours() || b.ours()) && a.interceptor() != b.interceptor() && a.order() == b.order()) {
                        ambiguous.add(pointcut + " order " + a.order() + ": " + describe(a) + " and " + describe(b));
                    }
                }
            }
        });
        assertThat(ambiguous)
                .as("hooks whose relative order is left to registration")
                .isEmpty();
    }

    @Test
    void everyHookOfOursNamesItsOrder() {
        assertThat(hooks().stream().filter(HookMethod::ours).filter(h -> h.order() == 0))
                .as("hooks of ours at the default order 0: give each a HookOrder stage and offset")
                .isEmpty();
    }

    @Test
    void theArchitectureDocumentShowsThePipelineTheCodeDeclares() throws IOException {
        String document = Files.readString(ARCHITECTURE, StandardCharsets.UTF_8);
        int start = document.indexOf(TABLE_START);
        int end = document.indexOf(TABLE_END);
        assertThat(start).as("%s in %s", TABLE_START, ARCHITECTURE).isNotNegative();
        assertThat(end).as("%s in %s", TABLE_END, ARCHITECTURE).isGreaterThan(start);
        String documented =
                document.substring(start + TABLE_START.length(), end).strip();
        assertThat(documented)
                .as("the pipeline table in docs/ARCHITECTURE.md; replace it with the one the code gives")
                .isEqualTo(table());
    }

    /** The Markdown table of hook points and interceptors, in the order a request meets them. */
    static String table() {
        StringBuilder table =
                new StringBuilder("| hook point | order | interceptor | registered | when |\n|---|---|---|---|---|\n");
        hooks().stream()
                .sorted(Comparator.comparingInt((HookMethod h) -> flowIndex(h.pointcut()))
                        .thenComparing(h -> h.pointcut().name())
                        .thenComparingInt(HookMethod::order)
                        .thenComparing(h -> h.interceptor().getSimpleName()))
                .forEach(h -> table.append("| `")
                        .append(h.pointcut().name())
                        .append("` | ")
                        .append(orderText(h.order()))
                        .append(" | `")
                        .append(h.interceptor().getSimpleName())
                        .append('.')
                        .append(h.method())
                        .append("` | ")
                        .append(scope(h.interceptor()))
                        .append(" | ")
                        .append(condition(h.interceptor()))
                        .append(" |\n"));
        return table.toString().strip();
    }

    static List<HookMethod> hooks() {
        List<HookMethod> hooks = new ArrayList<>();
        for (Class<?> interceptor : interceptors()) {
            boolean ours = interceptor.getName().startsWith(ROOT);
            for (Class<?> type : hierarchy(interceptor)) {
                for (Method method : type.getDeclaredMethods()) {
                    Hook hook = method.getAnnotation(Hook.class);
                    // HAPI's adapter declares every server hook as a no-op: only those overridden count.
                    boolean adapter = type == InterceptorAdapter.class || type == IServerInterceptor.class;
                    if (hook == null || (adapter && !overrides(interceptor, method))) {
                        continue;
                    }
                    boolean declaredByUs = type.getName().startsWith(ROOT);
                    hooks.add(new HookMethod(
                            hook.value(), hook.order(), interceptor, method.getName(), ours && declaredByUs));
                }
            }
        }
        return hooks;
    }

    /** The class, its superclasses and their interfaces. */
    private static List<Class<?>> hierarchy(Class<?> interceptor) {
        List<Class<?>> types = new ArrayList<>();
        for (Class<?> type = interceptor; type != null && type != Object.class; type = type.getSuperclass()) {
            types.add(type);
            types.addAll(Arrays.asList(type.getInterfaces()));
        }
        return types;
    }

    /** Our interceptor classes, then HAPI's that the pipeline registers. */
    static List<Class<?>> interceptors() {
        List<Class<?>> found = new ArrayList<>();
        for (JavaClass javaClass : new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT)) {
            Class<?> type = javaClass.reflect();
            if (!type.isInterface()
                    && !Modifier.isAbstract(type.getModifiers())
                    && (RestInterceptor.class.isAssignableFrom(type)
                            || StorageInterceptor.class.isAssignableFrom(type))) {
                found.add(type);
            }
        }
        found.sort(Comparator.comparing(Class::getName));
        found.addAll(RequestPipeline.HAPI_REST_INTERCEPTORS);
        return found;
    }

    private static boolean overrides(Class<?> interceptor, Method adapterMethod) {
        for (Class<?> type = interceptor;
                type != null && type != InterceptorAdapter.class;
                type = type.getSuperclass()) {
            if (Arrays.stream(type.getDeclaredMethods())
                    .anyMatch(m -> m.getName().equals(adapterMethod.getName())
                            && Arrays.equals(m.getParameterTypes(), adapterMethod.getParameterTypes()))) {
                return true;
            }
        }
        return false;
    }

    private static int flowIndex(Pointcut pointcut) {
        int index = FLOW.indexOf(pointcut);
        return index < 0 ? FLOW.size() : index;
    }

    private static String orderText(int order) {
        for (var stage : List.of(
                Map.entry("ACCESS", HookOrder.ACCESS),
                Map.entry("EFFECTS", HookOrder.EFFECTS),
                Map.entry("PRESENTATION", HookOrder.PRESENTATION),
                Map.entry("CONTENT", HookOrder.CONTENT))) {
            int offset = order - stage.getValue();
            if (offset > -500 && offset < 500 && offset != 0) {
                return stage.getKey() + (offset > 0 ? " + " : " − ") + Math.abs(offset);
            }
        }
        return Integer.toString(order);
    }

    private static String scope(Class<?> interceptor) {
        if (StorageInterceptor.class.isAssignableFrom(interceptor)) {
            return "storage (all writes)";
        }
        return "REST";
    }

    private static String condition(Class<?> interceptor) {
        if (Arrays.stream(interceptor.getAnnotations())
                .anyMatch(a -> a.annotationType().getSimpleName().equals("AccessControlEnabled"))) {
            return "access control on";
        }
        ConditionalOnProperty property = interceptor.getAnnotation(ConditionalOnProperty.class);
        if (property != null) {
            return "`" + String.join(",", property.name()) + "` not false";
        }
        if (interceptor.getSimpleName().equals("CorsInterceptor")) {
            return "CORS origins configured";
        }
        return "always";
    }

    private static String describe(HookMethod hook) {
        return hook.interceptor().getSimpleName() + "." + hook.method();
    }

    /** Prints the table, to paste into docs/ARCHITECTURE.md after a change to the pipeline. */
    public static void main(String[] args) {
        System.out.println(table());
    }
}
