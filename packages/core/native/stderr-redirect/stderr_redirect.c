/*
 * Points file descriptor 2 at a file and back. TensorFlow's C library logs
 * from static initialisers while it is being loaded, through Abseil straight
 * to fd 2, before TF_CPP_MIN_LOG_LEVEL applies to Abseil; only moving fd 2
 * itself keeps those lines from the terminal (src/engine/tensorflow-log.ts
 * writes back the ones the level lets through). Node has no dup2, hence
 * this addon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* redirect(path): fd 2 writes to `path` (created or truncated); returns the previous fd 2, duplicated. */
static napi_value redirect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "redirect(path) takes a file path");
    return NULL;
  }
  fflush(stderr);
  int saved = dup(2);
  if (saved < 0) return fail(env, "dup");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    close(saved);
    return fail(env, path);
  }
  if (dup2(fd, 2) < 0) {
    close(fd);
    close(saved);
    return fail(env, "dup2");
  }
  close(fd);
  napi_value result;
  napi_create_int32(env, saved, &result);
  return result;
}

/* restore(saved): fd 2 is the descriptor redirect() returned again. */
static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t saved = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &saved) != napi_ok || saved < 0) {
    napi_throw_type_error(env, NULL, "restore(fd) takes what redirect() returned");
    return NULL;
  }
  fflush(stderr);
  if (dup2(saved, 2) < 0) return fail(env, "dup2");
  close(saved);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"redirect", NULL, redirect, NULL, NULL, NULL, napi_default, NULL},
      {"restore", NULL, restore, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
