package io.jollama.server.create;

import java.util.List;
import java.util.Optional;

/**
 * What create needs from the template engine: checking a TEMPLATE and mapping a GGUF chat template to a named
 * template (spec §6.9). The template package provides the real implementation; {@link #BASIC} checks the action
 * structure only and detects nothing.
 */
public interface TemplateSupport {

    /** A named template chosen for a GGUF chat template: its name, Go template text and stop list. */
    record Named(String name, String template, List<String> stop) {}

    /** @throws IllegalArgumentException with the Go-template-style message when {@code template} does not parse */
    void validate(String template);

    /** The named template closest to a GGUF {@code tokenizer.chat_template}, if close enough. */
    Optional<Named> detect(String jinja);

    /** The real engine: Go template parsing and Ollama's named-template matching. */
    TemplateSupport GO = new TemplateSupport() {
        @Override
        public void validate(String template) {
            try {
                io.jollama.server.template.Template.parse(template);
            } catch (io.jollama.server.gotemplate.TemplateException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }

        @Override
        public Optional<Named> detect(String jinja) {
            return io.jollama.server.template.NamedTemplates.matchJinja(jinja).map(n -> new Named(n.name(), n.template(), n.stop()));
        }
    };

    TemplateSupport BASIC = new TemplateSupport() {
        @Override
        public void validate(String template) {
            TemplateCheck.check(template);
        }

        @Override
        public Optional<Named> detect(String jinja) {
            return Optional.empty();
        }
    };
}
