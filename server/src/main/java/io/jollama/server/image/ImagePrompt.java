package io.jollama.server.image;

import io.jollama.engine.runner.Prompt;
import io.jollama.engine.vision.RgbImage;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rendered prompt with Ollama's image tags ({@code [img-N]}, put there by the prompt builder) turned into the
 * runner's parts: the text between the tags, and image N at each tag. Images no tag names (a raw prompt written
 * without tags) go before the text, as llama.cpp's mtmd-cli puts its image marker first.
 */
public final class ImagePrompt {
    private static final Pattern TAG = Pattern.compile("\\[img-(\\d+)]");

    private ImagePrompt() {}

    public static List<Prompt.Part> parts(String text, List<RgbImage> images) {
        List<Prompt.Part> parts = new ArrayList<>();
        boolean[] used = new boolean[images.size()];
        List<Prompt.Part> body = new ArrayList<>();
        Matcher m = TAG.matcher(text);
        int from = 0;
        while (m.find()) {
            int n;
            try {
                n = Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (n >= images.size()) continue; // not one of this request's images: left as text
            if (m.start() > from) body.add(new Prompt.Part.Text(text.substring(from, m.start())));
            body.add(new Prompt.Part.Picture(images.get(n)));
            used[n] = true;
            from = m.end();
        }
        if (from < text.length()) body.add(new Prompt.Part.Text(text.substring(from)));
        for (int i = 0; i < images.size(); i++) if (!used[i]) parts.add(new Prompt.Part.Picture(images.get(i)));
        parts.addAll(body);
        return parts;
    }
}
