"""The sandbox: everything that runs a candidate program, which is untrusted code.

- whitelist.py: the DSL whitelist, and compiling only what passed it (never the parsed source itself);
- run.py: one program on a task's inputs, each sample under a timer in the process's main thread, with the
  process's memory capped; the statuses it gives (ok, error, timeout, memory, rejected);
- pool.py: the embedded default's long-lived child processes that do that, and the verdict `lost` when a
  child must be killed from outside;
- child.py: what each such child runs (a fresh interpreter that loads the DSL and nothing else).
The validate stage, the search's screening and mutations, `batt show`, `best` and `export` all run programs
through here.
"""
