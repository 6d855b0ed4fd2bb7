//! The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`): a tool whose work outlives
//! its request hands it to [`Tasks`] and answers with the task's handle; `tasks/get`,
//! `tasks/update` and `tasks/cancel` then answer from here, and only to the client and user that
//! started the task (anyone else is told the task does not exist).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, CreateTaskResult, DetailedTask, InputResponses};
use rmcp::task_manager::{TaskContext, TaskExit, TaskManager, TaskOptions};

use super::caller::Caller;

/// The server's tasks. Cheap to clone; every MCP request finds one in its context's
/// extensions, so a tool can start a task.
#[derive(Clone, Default)]
pub struct Tasks {
    manager: TaskManager,
    owners: Arc<Mutex<HashMap<String, Owner>>>,
}

#[derive(Debug, PartialEq, Eq)]
struct Owner {
    client_id: String,
    subject: String,
}

impl Owner {
    fn of(caller: &Caller) -> Self {
        Self {
            client_id: caller.client_id.clone(),
            subject: caller.subject.clone(),
        }
    }
}

impl Tasks {
    /// Runs `work` as a task owned by `caller`; the result is what `tools/call` answers. The
    /// task can be read with `tasks/get` before this returns (SEP-2663: durable creation).
    pub fn spawn<F, Fut>(&self, caller: &Caller, options: TaskOptions, work: F) -> CreateTaskResult
    where
        F: FnOnce(TaskContext) -> Fut,
        Fut: Future<Output = Result<CallToolResult, TaskExit>> + Send + 'static,
    {
        let task = self
            .manager
            .spawn(options, |context| Box::pin(work(context)));
        let mut owners = self.owners();
        // The manager forgets tasks past their TTL; forget their owners with them.
        owners.retain(|id, _| self.manager.get_task(id).is_ok());
        owners.insert(task.task_id.clone(), Owner::of(caller));
        CreateTaskResult::new(task)
    }

    // https://modelcontextprotocol.io/seps/2663-tasks-extension
    pub fn get(&self, caller: &Caller, task_id: &str) -> Result<DetailedTask, ErrorData> {
        self.check_owner(caller, task_id)?;
        self.manager.get_task(task_id)
    }

    pub fn update(
        &self,
        caller: &Caller,
        task_id: &str,
        responses: InputResponses,
    ) -> Result<(), ErrorData> {
        self.check_owner(caller, task_id)?;
        self.manager.update_task(task_id, responses)
    }

    pub fn cancel(&self, caller: &Caller, task_id: &str) -> Result<(), ErrorData> {
        self.check_owner(caller, task_id)?;
        self.manager.cancel_task(task_id)
    }

    fn check_owner(&self, caller: &Caller, task_id: &str) -> Result<(), ErrorData> {
        match self.owners().get(task_id) {
            Some(owner) if *owner == Owner::of(caller) => Ok(()),
            // The same answer as for an id never issued, so ids reveal nothing.
            _ => Err(ErrorData::invalid_params(
                format!("unknown task: {task_id}"),
                None,
            )),
        }
    }

    fn owners(&self) -> MutexGuard<'_, HashMap<String, Owner>> {
        self.owners.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(subject: &str) -> Caller {
        Caller {
            subject: subject.into(),
            client_id: "client".into(),
            scopes: Default::default(),
        }
    }

    #[tokio::test]
    async fn only_the_caller_that_started_a_task_can_see_or_cancel_it() {
        let tasks = Tasks::default();
        let alice = caller("alice");
        let created = tasks.spawn(&alice, TaskOptions::new(), |_| async {
            Ok(CallToolResult::success(Vec::new()))
        });
        let id = created.task.task_id;
        assert!(tasks.get(&alice, &id).is_ok());
        let mallory = caller("mallory");
        let refused = tasks.get(&mallory, &id).unwrap_err();
        assert_eq!(refused.code, rmcp::model::ErrorCode::INVALID_PARAMS);
        assert!(tasks.cancel(&mallory, &id).is_err());
        assert!(tasks.get(&alice, "never-issued").is_err());
    }
}
