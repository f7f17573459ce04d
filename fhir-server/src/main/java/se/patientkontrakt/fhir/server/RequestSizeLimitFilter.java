package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.rest.server.exceptions.PayloadTooLargeException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over the configured size with 413 Payload Too Large before HAPI parses
 * them. HAPI itself accepts bodies of any size. A declared {@code Content-Length} is checked up
 * front; a chunked body is counted while HAPI reads it, and reading past the limit throws
 * {@link PayloadTooLargeException}, which HAPI answers as an OperationOutcome.
 */
class RequestSizeLimitFilter extends OncePerRequestFilter {

    private final OperationOutcomeWriter outcomes;
    private final long maxBytes;

    RequestSizeLimitFilter(OperationOutcomeWriter outcomes, long maxBytes) {
        this.outcomes = outcomes;
        this.maxBytes = maxBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            // Drain nothing: the connection is closed after the answer, as Tomcat does for 413.
            response.setHeader("Connection", "close");
            writeOutcome(request, response, tooLargeMessage());
            return;
        }
        chain.doFilter(new LimitedBodyRequest(request, maxBytes, tooLargeMessage()), response);
    }

    private String tooLargeMessage() {
        return "Request body is larger than the limit of " + maxBytes + " bytes";
    }

    private void writeOutcome(HttpServletRequest request, HttpServletResponse response, String message)
            throws IOException {
        response.setStatus(PayloadTooLargeException.STATUS_CODE);
        outcomes.write(request, response, IssueType.TOOLONG, message);
    }

    private static final class LimitedBodyRequest extends HttpServletRequestWrapper {

        private final long maxBytes;
        private final String message;
        private ServletInputStream stream;

        LimitedBodyRequest(HttpServletRequest request, long maxBytes, String message) {
            super(request);
            this.maxBytes = maxBytes;
            this.message = message;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new LimitedInputStream(super.getInputStream(), maxBytes, message);
            }
            return stream;
        }
    }

    private static final class LimitedInputStream extends ServletInputStream {

        private final ServletInputStream delegate;
        private final long maxBytes;
        private final String message;
        private long count;

        LimitedInputStream(ServletInputStream delegate, long maxBytes, String message) {
            this.delegate = delegate;
            this.maxBytes = maxBytes;
            this.message = message;
        }

        @Override
        public int read() throws IOException {
            int b = delegate.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = delegate.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            count += n;
            if (count > maxBytes) {
                PayloadTooLargeException tooLarge = new PayloadTooLargeException(message);
                tooLarge.setOperationOutcome(OperationOutcomeWriter.error(IssueType.TOOLONG, message));
                throw tooLarge;
            }
        }

        @Override
        public boolean isFinished() {
            return delegate.isFinished();
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            delegate.setReadListener(listener);
        }
    }
}
