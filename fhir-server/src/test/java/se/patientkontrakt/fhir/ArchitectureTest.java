package se.patientkontrakt.fhir;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IBaseInterceptorService;
import ca.uhn.fhir.rest.server.RestfulServer;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.server.RequestPipeline;
import se.patientkontrakt.fhir.server.RestInterceptor;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * The shape of the code, as {@code docs/ARCHITECTURE.md} describes it: packages by feature over a
 * foundation ({@code server}) that knows no feature, no cycles between packages, HAPI's internals
 * used only in {@code hapi}, and interceptors registered in one place.
 */
class ArchitectureTest {

    private static final String ROOT = "se.patientkontrakt.fhir";

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void packagesFormNoCycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void theFoundationKnowsNoFeature() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".server..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(packagesBut("server"))
                .check(MAIN);
    }

    @Test
    void theContractsVocabularyAndRulesDependOnNoFeature() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".contract..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(packagesBut("server", "contract"))
                .check(MAIN);
    }

    /** What a HAPI upgrade may change without notice: only {@code hapi} uses it (its README lists each use). */
    @Test
    void hapiInternalsAreUsedOnlyInTheHapiPackage() {
        noClasses()
                .that()
                .resideOutsideOfPackage(ROOT + ".hapi..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "ca.uhn.fhir.jpa.dao..",
                        "ca.uhn.fhir.jpa.model.entity..",
                        "ca.uhn.fhir.jpa.model.dao..",
                        "ca.uhn.fhir.jpa.config..",
                        "ca.uhn.fhir.jpa.migrate..",
                        "org.hl7.fhir.validation..",
                        "org.hl7.fhir.r5..",
                        "jakarta.persistence..",
                        "org.springframework.jdbc..",
                        "org.h2..")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("ca.uhn.fhir.jpa.api.svc.IIdHelperService")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("ca.uhn.fhir.rest.server.interceptor.ServerInterceptorUtil")
                .check(MAIN);
    }

    @Test
    void onlyTheRequestPipelineRegistersInterceptors() {
        noClasses()
                .that()
                .doNotHaveFullyQualifiedName(RequestPipeline.class.getName())
                .should()
                .callMethodWhere(registersAnInterceptor())
                .because("RequestPipeline is the one place that registers interceptors (docs/ARCHITECTURE.md)")
                .check(MAIN);
    }

    @Test
    void everyInterceptorSaysWhereItBelongs() {
        classes()
                .that()
                .containAnyMethodsThat(annotatedWithHook())
                .or()
                .areAnnotatedWith(ca.uhn.fhir.interceptor.api.Interceptor.class)
                .should()
                .beAssignableTo(RestInterceptor.class)
                .orShould()
                .beAssignableTo(StorageInterceptor.class)
                .check(MAIN);
    }

    private static DescribedPredicate<JavaMethodCall> registersAnInterceptor() {
        return DescribedPredicate.describe("registers an interceptor", call -> {
            String name = call.getTarget().getName();
            JavaClass owner = call.getTarget().getOwner();
            return name.startsWith("registerInterceptor")
                    && (owner.isAssignableTo(IBaseInterceptorService.class)
                            || owner.isAssignableTo(RestfulServer.class));
        });
    }

    private static DescribedPredicate<com.tngtech.archunit.core.domain.JavaMethod> annotatedWithHook() {
        return DescribedPredicate.describe("are annotated with @Hook", method -> method.isAnnotatedWith(Hook.class));
    }

    /** Every top-level package of the service (with its subpackages) except {@code excluded}. */
    private static String[] packagesBut(String... excluded) {
        String[] packages = MAIN.stream()
                .map(JavaClass::getPackageName)
                .filter(name -> name.startsWith(ROOT + "."))
                .map(name -> name.substring(ROOT.length() + 1).split("\\.")[0])
                .distinct()
                .filter(name -> !List.of(excluded).contains(name))
                .map(name -> ROOT + "." + name + "..")
                .toArray(String[]::new);
        if (packages.length < 5) {
            throw new IllegalStateException("the class import found too few packages: " + List.of(packages));
        }
        return packages;
    }
}
