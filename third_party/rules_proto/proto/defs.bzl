"""Offline stand-in for rules_proto's proto/defs.bzl: forwards to native rules.

slimtorch has no protobuf; Bazel 4.2.3 asks for @rules_proto while resolving
its own toolchains, so the repository only has to exist and load.
"""

def proto_library(**attrs):
    native.proto_library(**attrs)

def proto_lang_toolchain(**attrs):
    native.proto_lang_toolchain(**attrs)
