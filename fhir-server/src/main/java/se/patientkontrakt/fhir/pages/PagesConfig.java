package se.patientkontrakt.fhir.pages;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The pages are static files under {@code static/} in the jar. Spring Boot serves
 * {@code index.html} by itself only at the root, so each page's folder forwards to its own, and the
 * address without the closing slash is redirected to it (the pages load their scripts relative to
 * it).
 */
@Configuration
class PagesConfig implements WebMvcConfigurer {

    static final String[] PAGES = {"/mitt-patientkontrakt", "/arbetslista"};

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        for (String page : PAGES) {
            registry.addRedirectViewController(page, page + "/").setKeepQueryParams(true);
            registry.addViewController(page + "/").setViewName("forward:" + page + "/index.html");
        }
    }
}
