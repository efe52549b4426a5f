# workerd without Node compatibility: the bundled scenario as one ES module. At this compatibility date workerd
# provides node:http and the other Node modules by default, so no_nodejs_compat turns them off; an import of
# node:http then fails with 'No such module "node:http"'.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .scenario) ],
);

const scenario :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.bundle.js") ],
  compatibilityDate = "2026-11-01",
  compatibilityFlags = ["no_nodejs_compat"],
);
