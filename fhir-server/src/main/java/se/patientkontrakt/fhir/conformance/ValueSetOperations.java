package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.context.support.ConceptValidationOptions;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport.CodeValidationResult;
import ca.uhn.fhir.context.support.IValidationSupport.ValueSetExpansionOutcome;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.context.support.ValueSetExpansionOptions;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.Date;
import java.util.Locale;
import java.util.UUID;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;
import org.hl7.fhir.r4.model.ValueSet;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.hapi.ContractValidator;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code ValueSet/$expand} and {@code ValueSet/$validate-code}
 * (<a href="https://hl7.org/fhir/R4/valueset-operation-expand.html">spec</a>), answered in memory.
 *
 * <p>HAPI's own provider expands code systems stored in its terminology tables through Hibernate
 * Search (Lucene or Elasticsearch), which this service leaves out: one more index to run and keep
 * consistent across nodes. The code systems here are small and shipped with the server, so the
 * expansion runs on the validation chain's in-memory terminology instead: the shipped code
 * systems, the FHIR core ones, and any ValueSet stored on the server that draws on them.
 */
@Component
class ValueSetOperations implements RestProvider {

    private final ContractValidator validator;
    private final DaoRegistry daoRegistry;

    ValueSetOperations(ContractValidator validator, DaoRegistry daoRegistry) {
        this.validator = validator;
        this.daoRegistry = daoRegistry;
    }

    @Operation(name = "$expand", typeName = "ValueSet", idempotent = true)
    public ValueSet expandById(
            @IdParam IdType id,
            @OperationParam(name = "filter", max = 1) StringType filter,
            @OperationParam(name = "offset", max = 1) IntegerType offset,
            @OperationParam(name = "count", max = 1) IntegerType count,
            RequestDetails request) {
        return expand(stored(id, request), filter, offset, count);
    }

    @Operation(name = "$expand", typeName = "ValueSet", idempotent = true)
    public ValueSet expandByUrl(
            @OperationParam(name = "url", max = 1) UriType url,
            @OperationParam(name = "valueSet", max = 1) ValueSet valueSet,
            @OperationParam(name = "filter", max = 1) StringType filter,
            @OperationParam(name = "offset", max = 1) IntegerType offset,
            @OperationParam(name = "count", max = 1) IntegerType count) {
        return expand(valueSet != null ? valueSet : byUrl(url), filter, offset, count);
    }

    @Operation(name = "$validate-code", typeName = "ValueSet", idempotent = true)
    public Parameters validateCodeById(
            @IdParam IdType id,
            @OperationParam(name = "code", max = 1) CodeType code,
            @OperationParam(name = "system", max = 1) UriType system,
            @OperationParam(name = "display", max = 1) StringType display,
            @OperationParam(name = "coding", max = 1) Coding coding,
            RequestDetails request) {
        return validateCode(stored(id, request), code, system, display, coding);
    }

    @Operation(name = "$validate-code", typeName = "ValueSet", idempotent = true)
    public Parameters validateCodeByUrl(
            @OperationParam(name = "url", max = 1) UriType url,
            @OperationParam(name = "code", max = 1) CodeType code,
            @OperationParam(name = "system", max = 1) UriType system,
            @OperationParam(name = "display", max = 1) StringType display,
            @OperationParam(name = "coding", max = 1) Coding coding) {
        return validateCode(byUrl(url), code, system, display, coding);
    }

    private ValueSet stored(IdType id, RequestDetails request) {
        return daoRegistry.getResourceDao(ValueSet.class).read(id, request);
    }

    private ValueSet byUrl(UriType url) {
        if (url == null || url.isEmpty()) {
            throw new InvalidRequestException(
                    "Give the value set: the 'url' or 'valueSet' parameter, or use ValueSet/{id}");
        }
        Object found = support().fetchValueSet(url.getValue());
        if (!(found instanceof ValueSet valueSet)) {
            throw new ResourceNotFoundException("No ValueSet with url " + url.getValue() + " is known to this server");
        }
        return valueSet;
    }

    private ValueSet expand(ValueSet valueSet, StringType filter, IntegerType offset, IntegerType count) {
        ValueSetExpansionOptions options = ValueSetExpansionOptions.forOffsetAndCount(
                offset == null ? 0 : offset.getValue(), count == null ? 1000 : count.getValue());
        options.setFailOnMissingCodeSystem(true);
        ValueSetExpansionOutcome outcome =
                support().expandValueSet(new ValidationSupportContext(support()), options, valueSet);
        if (outcome == null || outcome.getValueSet() == null) {
            throw new InvalidRequestException("ValueSet " + valueSet.getUrl() + " cannot be expanded"
                    + (outcome == null ? "" : ": " + outcome.getError()));
        }
        ValueSet expanded = (ValueSet) outcome.getValueSet();
        // The in-memory expansion returns a bare ValueSet; R4 requires status and timestamp.
        expanded.setId(valueSet.getIdElement().toUnqualifiedVersionless());
        expanded.setUrl(valueSet.getUrl());
        expanded.setVersion(valueSet.getVersion());
        expanded.setName(valueSet.getName());
        expanded.setTitle(valueSet.getTitle());
        expanded.setStatus(
                valueSet.getStatus() == null ? Enumerations.PublicationStatus.UNKNOWN : valueSet.getStatus());
        expanded.getExpansion().setTimestamp(new Date());
        if (!expanded.getExpansion().hasIdentifier()) {
            expanded.getExpansion().setIdentifier("urn:uuid:" + UUID.randomUUID());
        }
        if (filter != null && !filter.isEmpty()) {
            // The in-memory expansion ignores 'filter'; applied here to code and display text.
            String text = filter.getValue().toLowerCase(Locale.ROOT);
            expanded.getExpansion().getContains().removeIf(concept -> !matches(concept, text));
            expanded.getExpansion().addParameter().setName("filter").setValue(new StringType(filter.getValue()));
        }
        expanded.getExpansion().setTotal(expanded.getExpansion().getContains().size());
        return expanded;
    }

    private Parameters validateCode(
            ValueSet valueSet, CodeType code, UriType system, StringType display, Coding coding) {
        String theCode = coding != null ? coding.getCode() : value(code);
        String theSystem = coding != null ? coding.getSystem() : value(system);
        String theDisplay = coding != null ? coding.getDisplay() : value(display);
        if (theCode == null) {
            throw new InvalidRequestException("Give the code to check: 'code' (with 'system') or 'coding'");
        }
        CodeValidationResult result = support()
                .validateCodeInValueSet(
                        new ValidationSupportContext(support()),
                        new ConceptValidationOptions(),
                        theSystem,
                        theCode,
                        theDisplay,
                        valueSet);
        boolean valid = result != null && result.isOk();
        Parameters parameters = new Parameters();
        parameters.addParameter().setName("result").setValue(new BooleanType(valid));
        if (result != null && result.getDisplay() != null) {
            parameters.addParameter().setName("display").setValue(new StringType(result.getDisplay()));
        }
        String message = result == null
                ? "Code " + theSystem + "#" + theCode + " is not in ValueSet " + valueSet.getUrl()
                : result.getMessage();
        if (message != null) {
            parameters.addParameter().setName("message").setValue(new StringType(message));
        }
        return parameters;
    }

    private static boolean matches(ValueSet.ValueSetExpansionContainsComponent concept, String text) {
        return concept.getCode().toLowerCase(Locale.ROOT).contains(text)
                || (concept.hasDisplay()
                        && concept.getDisplay().toLowerCase(Locale.ROOT).contains(text));
    }

    private IValidationSupport support() {
        return validator.validationSupport();
    }

    private static String value(org.hl7.fhir.r4.model.PrimitiveType<String> primitive) {
        return primitive == null || primitive.isEmpty() ? null : primitive.getValue();
    }
}
