package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.util.IModelVisitor2;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.stereotype.Component;

/**
 * Refuses with 400 a resource with a control character in any value: FHIR strings hold none but
 * tab, carriage return and line feed, and PostgreSQL cannot store a NUL in a string at all (the
 * write failed with 500 there and passed on H2). Every write, the server's own included, is
 * checked before it is stored; the answer names the element ({@code Patient.name.family}).
 */
@Component
@Interceptor
class ControlCharactersInterceptor implements StorageInterceptor {

    private final FhirContext fhirContext;

    ControlCharactersInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 1)
    void beforeCreate(IBaseResource resource) {
        refuseControlCharacters(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 1)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        refuseControlCharacters(resource);
    }

    private void refuseControlCharacters(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        Visitor visitor = new Visitor();
        fhirContext.newTerser().visit(resource, visitor);
        visitor.found.ifPresent(path -> {
            InvalidRequestException refusal = new InvalidRequestException(
                    "A value holds a control character (below U+0020, other than tab, carriage return and line feed),"
                            + " which FHIR strings do not hold");
            OperationOutcome outcome = new OperationOutcome();
            outcome.addIssue()
                    .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                    .setCode(OperationOutcome.IssueType.INVALID)
                    .setDiagnostics(refusal.getMessage())
                    .addExpression(type + path);
            refusal.setOperationOutcome(outcome);
            throw refusal;
        });
    }

    private static boolean hasControlCharacter(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
                return true;
            }
        }
        return false;
    }

    /** Finds the first value with a control character, and its path. */
    private static final class Visitor implements IModelVisitor2 {

        private Optional<String> found = Optional.empty();

        @Override
        public boolean acceptElement(
                IBase element,
                List<IBase> containingElementPath,
                List<BaseRuntimeChildDefinition> childDefinitionPath,
                List<BaseRuntimeElementDefinition<?>> elementDefinitionPath) {
            if (found.isPresent()) {
                return false;
            }
            if (element instanceof IPrimitiveType<?> primitive
                    && primitive.getValueAsString() != null
                    && hasControlCharacter(primitive.getValueAsString())) {
                found = Optional.of(childDefinitionPath.stream()
                        .map(child -> "." + child.getElementName())
                        .collect(Collectors.joining()));
                return false;
            }
            return true;
        }
    }
}
