// ?output_modality=<modality> on GET /models (legacy and enhanced) and GET /admin-models: only the
// models whose output modalities include it; any other value is a 400. The 2025-12-02 snapshot
// has five image-output models among 335 text-output ones, and no audio-output model.
import assert from "node:assert/strict";
import { call, type ErrorBody } from "./_helpers/api.ts";
import { setAccess, syncFixture } from "./_helpers/catalog.ts";
import { readFixture, stack } from "./_helpers/stack.ts";
import { stackTest } from "./_helpers/harness.ts";
import { createUser, deleteUsers, type TestUser } from "./_helpers/users.ts";

type Legacy = { models: string[] };
type Enhanced = {
  models: { id: string; output_modalities: string[]; usage: { daily: { used: number } } | null }[];
};

async function imageOutputIds(): Promise<Set<string>> {
  const { data } = await readFixture("2025-12-02");
  const ids = data.filter((m) =>
    (m.architecture as { output_modalities: string[] }).output_modalities.includes("image")
  ).map((m) => m.id as string);
  assert.equal(ids.length, 5);
  return new Set(ids);
}

/** Every model active for every tier, each image-output model and one other with a daily limit. */
async function setup(): Promise<{ admin: TestUser; user: TestUser; limited: string[] }> {
  const admin = await createUser({ isAdmin: true, label: "admin" });
  const user = await createUser({ tier: "enterprise" });
  await syncFixture(admin, "2025-12-02");
  const images = await imageOutputIds();
  const textOnly = (await readFixture("2025-12-02")).data.map((m) => m.id as string)
    .find((id) => !images.has(id))!;
  await setAccess((id) => ({
    status: "active",
    is_free: true,
    is_pro: true,
    is_enterprise: true,
    daily_limit: images.has(id) || id === textOnly ? 50 : null,
  }));
  return { admin, user, limited: [[...images][0], textOnly] };
}

const models = (user: TestUser, query: Record<string, string> = {}) =>
  call<Legacy>("models", "", { headers: user.headers, query });

const enhanced = (user: TestUser, query: Record<string, string> = {}) =>
  call<Enhanced>("models", "", { headers: user.headers, query: { enhanced: "true", ...query } });

stackTest("GET /models?output_modality: the legacy list cut to the models with it", async () => {
  const { admin, user } = await setup();
  try {
    const images = await imageOutputIds();
    const all = await models(user);
    const image = await models(user, { output_modality: "image" });
    assert.equal(image.status, 200, image.text);
    assert.deepEqual(image.body.models, all.body.models.filter((id) => images.has(id)));
    assert.equal(image.headers.get("x-models-count"), "5");
    assert.notEqual(image.headers.get("etag"), all.headers.get("etag"));
    const again = await models(user, { output_modality: "image" });
    assert.equal(again.text, image.text, "the same body from the cache");

    const text = await models(user, { output_modality: "text" });
    assert.deepEqual(text.body.models, all.body.models, "every model outputs text");
    const audio = await models(user, { output_modality: "audio" });
    assert.deepEqual(audio.body.models, []);
    assert.equal(audio.headers.get("x-models-count"), "0");

    const notModified = await call("models", "", {
      headers: { ...user.headers, "If-None-Match": image.headers.get("etag")! },
      query: { output_modality: "image" },
    });
    assert.equal(notModified.status, 304);
    const otherFilter = await call("models", "", {
      headers: { ...user.headers, "If-None-Match": image.headers.get("etag")! },
      query: { output_modality: "audio" },
    });
    assert.equal(otherFilter.status, 200, "another filter's ETag does not match");
  } finally {
    await deleteUsers(admin, user);
  }
});

stackTest(
  "GET /models?enhanced=true&output_modality: full objects, the caller's usage",
  async () => {
    const { admin, user, limited: [imageModel, textModel] } = await setup();
    try {
      const images = await imageOutputIds();
      const legacy = await models(user, { output_modality: "image" });
      const unused = await enhanced(user, { output_modality: "image" });
      assert.equal(unused.status, 200, unused.text);
      assert.deepEqual(unused.body.models.map((m) => m.id), legacy.body.models);
      assert.ok(unused.body.models.every((m) => m.output_modalities.includes("image")));
      assert.equal(unused.headers.get("x-models-count"), "5");
      const all = await enhanced(user);
      assert.notEqual(unused.headers.get("etag"), all.headers.get("etag"));

      for (const model of [imageModel, textModel]) {
        const consumed = await call("models", "consume", {
          method: "POST",
          headers: user.headers,
          body: { model_id: model },
        });
        assert.equal(consumed.status, 200, consumed.text);
      }
      const used = await enhanced(user, { output_modality: "image" });
      assert.deepEqual(used.body.models.map((m) => m.id), legacy.body.models);
      assert.ok(used.body.models.every((m) => images.has(m.id)), "the used text model stays out");
      const usage = new Map(used.body.models.map((m) => [m.id, m.usage?.daily.used]));
      assert.equal(usage.get(imageModel), 1);
      assert.ok([...usage].every(([id, n]) => id === imageModel || n === 0));
      assert.notEqual(used.headers.get("etag"), unused.headers.get("etag"));
      const everything = await enhanced(user);
      assert.equal(
        everything.body.models.find((m) => m.id === textModel)?.usage?.daily.used,
        1,
        "the unfiltered list shows both",
      );
    } finally {
      await deleteUsers(admin, user);
    }
  },
);

stackTest("GET /models: an output_modality that is not one is a 400", async () => {
  const user = await createUser();
  try {
    for (const mode of ["false", "true"]) {
      for (const value of ["", "IMAGE", "smell", "image,text", "image "]) {
        const response = await call<ErrorBody>("models", "", {
          headers: user.headers,
          query: { enhanced: mode, output_modality: value },
        });
        assert.equal(response.status, 400, `${mode} ${value}`);
        assert.equal(response.body.error.code, "invalid_request");
        assert.match(response.body.error.message, /output_modality.*text, image, audio/);
      }
      const twice = await fetch(
        `${
          (await stack()).functionsUrl
        }/models?enhanced=${mode}&output_modality=image&output_modality=text`,
        { headers: user.headers },
      );
      assert.equal(twice.status, 400);
      assert.equal((await twice.json()).error.code, "invalid_request");
    }
  } finally {
    await deleteUsers(user);
  }
});

type AdminList = { models: { id: string; output_modalities: string[] }[]; total: number };

stackTest("GET /admin-models?output_modality: only models with it; bad values 400", async () => {
  const { admin, user } = await setup();
  try {
    const images = await imageOutputIds();
    const list = (query: Record<string, string>) =>
      call<AdminList & ErrorBody>("admin-models", "", { headers: admin.headers, query });
    const image = await list({ output_modality: "image", limit: "500" });
    assert.equal(image.status, 200, image.text);
    assert.equal(image.body.total, 5);
    assert.equal(image.headers.get("x-total-count"), "5");
    assert.deepEqual(new Set(image.body.models.map((m) => m.id)), images);
    const withProvider = await list({
      output_modality: "image",
      provider: [...images][0].split("/")[0],
    });
    assert.ok(withProvider.body.total >= 1 && withProvider.body.total <= 5);
    assert.ok(withProvider.body.models.every((m) => images.has(m.id)), "filters combine");
    assert.equal((await list({ output_modality: "audio" })).body.total, 0);
    const all = await list({});
    assert.equal((await list({ output_modality: "text" })).body.total, all.body.total);

    for (const value of ["", "IMAGE", "smell", "image,text"]) {
      const response = await list({ output_modality: value });
      assert.equal(response.status, 400, value);
      assert.equal(response.body.error.code, "invalid_request");
      assert.ok(!/select|from public/i.test(response.text), "no SQL in the error");
    }
  } finally {
    await deleteUsers(admin, user);
  }
});
