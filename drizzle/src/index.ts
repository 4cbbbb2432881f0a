export * from "./client";
export * from "./migrate";
export * from "./queries/bootstrap";
export * from "./queries/keys";
export * from "./schema/index";
export * as schema from "./schema/index";
