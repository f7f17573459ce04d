package se.patientkontrakt.fhir.pages;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /sidor/smart-app.json}: what the pages' SMART standalone launch needs besides the
 * server's own {@code .well-known/smart-configuration}, namely the client id they are registered
 * under at the identity provider. The pages are static files, so this is the one setting they
 * cannot carry themselves.
 */
@RestController
class SmartAppController {

    private final PagesProperties properties;

    SmartAppController(PagesProperties properties) {
        this.properties = properties;
    }

    @GetMapping(path = "/sidor/smart-app.json", produces = "application/json")
    Map<String, String> smartApp() {
        return Map.of("client_id", properties.clientId());
    }
}
