package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.ServerContext;
import io.jollama.server.api.InferenceTypes.ProcessModel;
import io.jollama.server.api.InferenceTypes.ProcessResponse;
import io.jollama.server.api.InferenceTypes.RunningEntry;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.StoreException;
import io.jollama.server.store.StoredModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code GET /api/ps}: the loaded models, as the scheduler reports them, with their details from the store. */
public final class PsApi {

    private final ServerContext s;

    public PsApi(ServerContext s) {
        this.s = s;
    }

    public void ps(Context ctx) {
        List<ProcessModel> models = new ArrayList<>();
        List<RunningEntry> running = new ArrayList<>();
        long pid = ProcessHandle.current().pid();
        boolean keysOn = io.jollama.server.auth.AuthGuard.keyName(ctx) != null;
        for (Scheduler.Status st : s.scheduler().status()) {
            ModelViews.Details details = null;
            ModelName n = ModelName.parse(st.name());
            Optional<StoredModel> stored = n.isValid() ? s.store().find(n) : Optional.empty();
            if (stored.isPresent()) {
                try {
                    details = s.views().details(ModelContents.load(s.store(), stored.get()), "");
                } catch (StoreException ignored) {
                    // the model was deleted or damaged while loaded; show it without details
                }
            }
            models.add(new ProcessModel(st.name(), st.name(), st.size(), st.digest(), details, Http.timestamp(st.expiresAt()), 0, st.contextLength(),
                    keysOn ? (st.holder() == null ? "" : st.holder()) : null));
            running.add(new RunningEntry(st.name(), st.inUse() > 0 ? "running" : "idle", pid));
        }
        Http.json(ctx, new ProcessResponse(models, running));
    }
}
