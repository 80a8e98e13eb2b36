# component
