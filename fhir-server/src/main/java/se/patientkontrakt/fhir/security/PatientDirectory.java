package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.stereotype.Component;

/**
 * Whether a patient a token names is one this server holds. Asked for every request with a
 * patient token, so a patient found is remembered for a minute (a deleted patient's token stops
 * working within that minute); one not found is asked again next time.
 */
@Component
@AccessControlEnabled
class PatientDirectory {

    private static final Duration REMEMBER = Duration.ofMinutes(1);

    private final DaoRegistry daoRegistry;
    private final Cache<String, Boolean> found = Caffeine.newBuilder()
            .expireAfterWrite(REMEMBER)
            .maximumSize(100_000)
            .build();

    PatientDirectory(DaoRegistry daoRegistry) {
        this.daoRegistry = daoRegistry;
    }

    boolean exists(String patientId) {
        if (found.getIfPresent(patientId) != null) {
            return true;
        }
        try {
            daoRegistry
                    .getResourceDao(Patient.class)
                    .read(new IdType("Patient", patientId), new SystemRequestDetails());
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            return false;
        }
        found.put(patientId, Boolean.TRUE);
        return true;
    }
}
