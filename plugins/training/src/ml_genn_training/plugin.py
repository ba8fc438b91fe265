"""Entry-point module of ``ml-genn-training``: registers its callbacks, lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_callbacks(registry) -> None:
    """Register the training-control callbacks by their snake_case names.

    Parameters
    ----------
    registry
        The callback kind's registry; targets are imported on first use.
    """
    registry.add("early_stopping", "ml_genn_training.early_stopping:EarlyStopping")
    registry.add("terminate_on_nan", "ml_genn_training.terminate_on_nan:TerminateOnNaN")
    for name, cls in (("step_lr", "StepLR"), ("multi_step_lr", "MultiStepLR"),
                      ("exponential_lr", "ExponentialLR"),
                      ("cosine_annealing_warm_restarts", "CosineAnnealingWarmRestarts"),
                      ("linear_warmup", "LinearWarmup"), ("one_cycle_lr", "OneCycleLR"),
                      ("composed_schedule", "ComposedSchedule"),
                      ("reduce_lr_on_plateau", "ReduceLROnPlateau")):
        registry.add(name, f"ml_genn_training.schedules:{cls}")
    registry.add("gradient_clipping", "ml_genn_training.gradients:GradientClipping")
    registry.add("gradient_stats", "ml_genn_training.gradients:GradientStats")
    registry.add("csv_logger", "ml_genn_training.logging_callbacks:CSVLogger")
    registry.add("all_predictions_same", "ml_genn_training.logging_callbacks:AllPredictionsSame")
    registry.add("model_checkpoint", "ml_genn_training.model_checkpoint:ModelCheckpoint")
    registry.add("resume_training", "ml_genn_training.model_checkpoint:ResumeTraining")
    registry.add("tensor_board", "ml_genn_training.tensorboard:TensorBoard")
    registry.add("experiment_folder", "ml_genn_training.experiment:ExperimentFolder")
    registry.add("training_history_plot", "ml_genn_training.experiment:TrainingHistoryPlot")
