package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.model.util.JpaConstants;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.jpa.searchparam.registry.SearchParamRegistryImpl;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.SearchParameter;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.hapi.ContractValidator;

/**
 * At start-up, before the server reports itself ready: prepares the validator, stores the
 * patient-contract definitions as FHIR resources (StructureDefinitions with their generated
 * snapshots, SearchParameters, OperationDefinitions, Measures, CodeSystems, ValueSets,
 * NamingSystems) so that {@code GET /fhir/StructureDefinition} and HAPI's terminology operations
 * serve them, and loads the example contracts when {@code patientkontrakt.demo.load-examples} is
 * on. Until then the server answers every FHIR request with 503 ({@code NotReadyFilter}).
 *
 * <p>A definition is written only when it is missing or differs from the shipped one, so a
 * restart, or a second node starting beside the first, adds no versions.
 *
 * <p>Storing a SearchParameter makes HAPI start a REINDEX job over every resource of its base
 * types, so that data stored before it is found by it. On a database that holds no such
 * resource (the first start of a new installation) that job has nothing to do, yet it stays
 * queued and then reindexes whatever is written next, beside the writes: a first bulk load ran
 * alongside eight such jobs. There, the SearchParameter is stored without one.
 */
@Component
class ConformanceInstaller {

    private static final Logger log = LoggerFactory.getLogger(ConformanceInstaller.class);

    private final FhirContext fhirContext;
    private final ConformanceResources conformance;
    private final ContractValidator validator;
    private final DaoRegistry daoRegistry;
    private final IFhirSystemDao<Bundle, ?> systemDao;
    private final ISearchParamRegistry searchParamRegistry;
    private final DemoProperties demo;
    private final ValidationProperties validation;

    ConformanceInstaller(
            FhirContext fhirContext,
            ConformanceResources conformance,
            ContractValidator validator,
            DaoRegistry daoRegistry,
            IFhirSystemDao<Bundle, ?> systemDao,
            ISearchParamRegistry searchParamRegistry,
            DemoProperties demo,
            ValidationProperties validation) {
        this.fhirContext = fhirContext;
        this.conformance = conformance;
        this.validator = validator;
        this.daoRegistry = daoRegistry;
        this.systemDao = systemDao;
        this.searchParamRegistry = searchParamRegistry;
        this.demo = demo;
        this.validation = validation;
    }

    @EventListener(ApplicationStartedEvent.class)
    void install() {
        // With the compiled engine the HL7 validator decides only referrals and $validate: the
        // first of them builds its working context, not the start.
        validator.prepare(validation.engine() == ValidationProperties.Engine.HL7);
        long started = System.currentTimeMillis();
        int written = 0;
        boolean searchParametersChanged = false;
        for (IBaseResource definition : conformance.definitions()) {
            IBaseResource toStore = definition instanceof StructureDefinition sd
                    ? validator.withSnapshot(sd.getUrl()).copy()
                    : ((Resource) definition).copy();
            if (storeIfChanged(toStore)) {
                written++;
                searchParametersChanged |= toStore instanceof SearchParameter;
            }
        }
        if (searchParametersChanged && searchParamRegistry instanceof SearchParamRegistryImpl registry) {
            // HAPI picks up a stored SearchParameter on its next scheduled registry refresh; the
            // examples loaded below, and the first requests, must already be indexed by it. Data
            // stored before the change is reindexed by HAPI's own job
            // (JpaStorageSettings#isMarkResourcesForReindexingUponSearchParameterChange).
            registry.forceRefresh();
        }
        log.info(
                "Patient-contract definitions: {} shipped, {} written, in {} ms",
                conformance.definitions().size(),
                written,
                System.currentTimeMillis() - started);
        if (demo.loadExamples()) {
            loadExamples();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    boolean storeIfChanged(IBaseResource resource) {
        IFhirResourceDao dao = daoRegistry.getResourceDao(resource);
        try {
            IBaseResource stored =
                    dao.read(resource.getIdElement().toUnqualifiedVersionless(), new SystemRequestDetails());
            if (sameContent(stored, resource)) {
                return false;
            }
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            // Not there yet: store it.
        }
        SystemRequestDetails request = new SystemRequestDetails();
        if (resource instanceof SearchParameter parameter && nothingToReindex(parameter)) {
            request.getUserData().put(JpaConstants.SKIP_REINDEX_ON_UPDATE, Boolean.TRUE);
        }
        dao.update(resource, request);
        return true;
    }

    /** Whether the database holds no resource that the SearchParameter applies to. */
    private boolean nothingToReindex(SearchParameter parameter) {
        for (CodeType base : parameter.getBase()) {
            if (!daoRegistry.isResourceTypeSupported(base.getCode())) {
                return false; // "Resource" and the like: every type; not worth looking.
            }
            SearchParameterMap any = SearchParameterMap.newSynchronous();
            any.setLoadSynchronousUpTo(1);
            if (!daoRegistry
                    .getResourceDao(base.getCode())
                    .search(any, new SystemRequestDetails())
                    .getResources(0, 1)
                    .isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private boolean sameContent(IBaseResource stored, IBaseResource shipped) {
        Resource a = ((Resource) stored).copy();
        Resource b = ((Resource) shipped).copy();
        a.setMeta(null);
        b.setMeta(null);
        a.setIdElement(null);
        b.setIdElement(null);
        return fhirContext
                .newJsonParser()
                .encodeResourceToString(a)
                .equals(fhirContext.newJsonParser().encodeResourceToString(b));
    }

    private void loadExamples() {
        List<Bundle> transactions = conformance.exampleTransactions();
        long started = System.currentTimeMillis();
        for (Bundle transaction : transactions) {
            systemDao.transaction(new SystemRequestDetails(), transaction.copy());
        }
        log.info(
                "Demo data: {} example transaction Bundles loaded (idempotent) in {} ms",
                transactions.size(),
                System.currentTimeMillis() - started);
    }
}
