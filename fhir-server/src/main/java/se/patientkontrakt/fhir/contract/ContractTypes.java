package se.patientkontrakt.fhir.contract;

import java.util.Set;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.ServedResourceTypes;

/** The endpoint serves the patient contract's types ({@link Vocabulary#SERVED_TYPES}), no others. */
@Component
class ContractTypes implements ServedResourceTypes {

    @Override
    public Set<String> types() {
        return Vocabulary.SERVED_TYPES;
    }
}
