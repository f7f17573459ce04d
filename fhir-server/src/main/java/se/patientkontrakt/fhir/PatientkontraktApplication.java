package se.patientkontrakt.fhir;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The patient-contract (patientkontrakt) FHIR R4 server: HAPI FHIR JPA on Spring Boot. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PatientkontraktApplication {

    public static void main(String[] args) {
        SpringApplication.run(PatientkontraktApplication.class, args);
    }
}
